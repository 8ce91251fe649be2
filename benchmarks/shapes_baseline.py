"""Where the noise floor of MIG on real Shapes images lies: untrained encoders, and the bootstrap.

    OMP_NUM_THREADS=1 python benchmarks/shapes_baseline.py --encoders 20 --json infogan_edu/results/shapes-baseline.json

Two references for lesson 06's real-image MIGs, scored exactly as `disentanglement.shapes_scores` scores a model
(10,000 images of seed 0, BatchNorm statistics re-estimated on them, Q as the encoder):

- **untrained encoders**: `--encoders` copies of the shipped Shapes architecture with fresh random weights. An
  untrained network already tells a little of where the ink is, and the plug-in MI is biased upwards, so a
  trained encoder's MIG means something only above this distribution;
- **bootstrap intervals** (95%, 200 resamples of the 10,000 images) for the two shipped models, which say how much
  their MIG moves with the sample of images alone.

It prints a table and writes every number, with the command, commit, machine and date, to --json.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import markdown_table, write_json  # noqa: E402

from infogan_edu.disentanglement import (  # noqa: E402
    bootstrap_mig,
    mig,
    q_codes,
    random_encoder_migs,
    render_shapes_factors,
    sample_shapes_factors,
    with_population_statistics,
)
from infogan_edu.pretrained import load_pretrained  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--encoders", type=int, default=20, help="untrained encoders")
    p.add_argument("--boot", type=int, default=200, help="bootstrap resamples")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    shipped = {arm: load_pretrained(f"shapes_{arm}_s0")[0] for arm in ("infogan", "control")}
    untrained = random_encoder_migs(shipped["infogan"], n_encoders=args.encoders)
    factors = sample_shapes_factors(10_000, torch.Generator().manual_seed(0))  # (N, 5), as in shapes_scores
    images = render_shapes_factors(factors)  # (N, 64, 64)
    models = {}
    for arm, model in shipped.items():
        read = q_codes(with_population_statistics(model, images[:5000]), images)  # (N, n_cat + n_cont)
        low, high = bootstrap_mig(read, factors, n_boot=args.boot)
        models[f"{arm}_s0"] = {"mig_real": mig(read, factors).score, "interval_95": [low, high]}
    p95 = float(np.percentile(untrained, 95))
    rows = [
        [f"{name} (shipped)", f"{r['mig_real']:.4f}", f"{r['interval_95'][0]:.4f} to {r['interval_95'][1]:.4f}"]
        for name, r in models.items()
    ]
    rows.append(
        [
            f"{args.encoders} untrained encoders",
            f"median {np.median(untrained):.4f}, 95th percentile {p95:.4f}",
            f"{min(untrained):.4f} to {max(untrained):.4f} (all)",
        ]
    )
    print(markdown_table(rows, ["encoder", "MIG on real images", "95% interval"]))
    if args.json:
        payload = {"untrained_migs": untrained, "untrained_p95": p95, "shipped": models, "images": 10_000,
                   "boot": args.boot}  # fmt: skip
        write_json(args.json, payload, "benchmarks/shapes_baseline.py", argv)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
