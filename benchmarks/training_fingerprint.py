"""Training, bit for bit: the SHA-256 of the weights and of the history (wall times left out) after short runs of
the `cpu` preset, `paper` at width 0.25, the lambda = 0 control, the invariance term, and K = 3 seeds at once.

Run it at two commits on the same machine, one thread, and compare: a refactoring of the training code must leave
every digest unchanged.

    OMP_NUM_THREADS=1 python benchmarks/training_fingerprint.py --json benchmarks/results/training-fingerprint.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import markdown_table, write_json  # noqa: E402

from infogan_edu.config import get_preset, lambda0_control  # noqa: E402
from infogan_edu.data import load_mnist  # noqa: E402
from infogan_edu.multiseed import MultiSeedTrainer  # noqa: E402
from infogan_edu.train import Trainer  # noqa: E402

if TYPE_CHECKING:  # only a type here, so that the script also runs at commits from before history.py
    from infogan_edu.history import History

SHORT = {"steps": 60, "log_every": 20, "eval_every": 30, "ckpt_every": 40}


def digest(model: torch.nn.Module, history: History) -> dict[str, str]:
    """The first 16 hex digits of the SHA-256 of every weight and buffer, and of the history without wall times."""
    weights = hashlib.sha256()
    for name, value in sorted(model.state_dict().items()):
        weights.update(name.encode())
        weights.update(value.detach().cpu().contiguous().numpy().tobytes())
    logged = {k: v for k, v in history.to_dict().items() if k != "wall"}
    history_hash = hashlib.sha256(json.dumps(logged).encode()).hexdigest()
    return {"weights": weights.hexdigest()[:16], "history": history_hash[:16]}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--json", type=Path, help="write the digests here, with command, commit, machine and date")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    x_train, _ = load_mnist("train")
    x_test, y_test = load_mnist("test")
    x_train, x_test, y_test = x_train[:6000], x_test[:1000], y_test[:1000]
    runs = {
        "cpu": get_preset("cpu", seed=0, **SHORT),
        "paper_width_0.25": get_preset("paper", seed=1, width=0.25, **SHORT),
        "control": lambda0_control(get_preset("cpu", seed=2, **SHORT)),
        "invariance": get_preset("cpu", seed=3, lambda_invariance=1.0, **SHORT),
    }
    out: dict[str, dict[str, str]] = {}
    for name, cfg in runs.items():
        with tempfile.TemporaryDirectory() as folder:  # with an output folder, so that saving is in the loop
            trainer = Trainer(cfg, x_train, x_test, y_test, out_dir=folder, progress=False)
            trainer.train()
            out[name] = digest(trainer.model, trainer.history)
    with tempfile.TemporaryDirectory() as folder:
        several = MultiSeedTrainer(
            get_preset("cpu", **SHORT), [0, 1, 2], x_train, x_test, y_test, out_dir=folder, progress=False
        )
        several.train()
        several.sync()
        for seed, trainer in zip(several.seeds, several.trainers, strict=True):
            out[f"seeds_0-2_at_once_s{seed}"] = digest(trainer.model, trainer.history)
    print(markdown_table([{"run": name, **d} for name, d in out.items()], ["run", "weights", "history"]))
    if args.json:
        write_json(args.json, {"threads": 1, "runs": out}, "benchmarks/training_fingerprint.py", argv)


if __name__ == "__main__":
    main()
