"""Which factor does each continuous code take, and what changes when the codes' prior changes? (lesson 05)

    OMP_NUM_THREADS=1 python benchmarks/code_ordering.py --set ordering --runs runs/code-ordering \\
        --json infogan_edu/results/code-ordering.json --export cont1 cont4
    OMP_NUM_THREADS=1 python benchmarks/code_ordering.py --set priors --runs runs/code-ordering \\
        --json infogan_edu/results/code-priors.json

Every run is the `cpu` preset (seed 0, one thread) trained for 1,500 steps instead of 3,600 (the runs shared two
CPU cores with other work), with one change. `--seeds 0 1 2 --steps 3600` repeats each run with those seeds at the
preset's length (runs named cont1-s0, ...):

- `--set ordering`: 1, 2 or 4 continuous codes, each ~ Unif(-1, 1) (runs cont1, cont2, cont4);
- `--set priors`: two continuous codes drawn from another prior (runs copula2, normal2):
  * copula2: dependent codes with Unif(-1, 1) marginals: a Gaussian copula, g ~ N(0, [[1, rho], [rho, 1]]),
    c = 2 Phi(g) - 1, rho = 0.8 (the independent prior removed);
  * normal2: independent codes c ~ N(0, 1/3), the variance of Unif(-1, 1); an isotropic Gaussian is unchanged
    by every rotation, so this prior gives the objective no preferred axes at all.

For every run, after training, on the generator and Q in eval mode (BatchNorm running statistics):

- accuracy: test accuracy of c1 (Hungarian matching) on the 10,000 MNIST test images;
- per continuous code c_j, moving c_j from -1 to +1 with z and the other codes fixed (1,000 latents):
  slant and ink: the mean change of the two properties of `slant_and_ink`, in units of their spread across the
  samples (`continuous_code_effects`); pixels: the mean squared change of the image, per pixel (images in
  [-1, 1]), a measure of how much image variation the code carries;
- info: the bound on I(c_j; G(z, c)) of Q's Gaussian for that code alone, H(c_j) + E[log N(c_j; mu_j, sigma_j)]
  on 5,000 samples of the run's prior, in nats (H = ln 2 for Unif(-1, 1), 1/2 ln(2 pi e / 3) for N(0, 1/3)).

`--export NAME...` writes fp16 copies of those runs to infogan_edu/checkpoints/mnist_cpu_<NAME>.pt with a JSON of
SHA-256 and provenance. Runs already trained under --runs are reused; a run stopped part-way (Ctrl-C, SIGTERM: it
saves a checkpoint) is resumed.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from infogan_edu.checkpoint import export_weights, load_file
from infogan_edu.config import get_preset, machine_summary
from infogan_edu.data import load_dataset
from infogan_edu.generated import continuous_code_effects
from infogan_edu.latent import Latent, LatentSpec, gaussian_log_density
from infogan_edu.losses import LOG_STD_MAX, LOG_STD_MIN
from infogan_edu.metrics import evaluate
from infogan_edu.models import evaluating
from infogan_edu.pretrained import CHECKPOINT_DIR, model_from_checkpoint
from infogan_edu.reparam import normal_to_uniform
from infogan_edu.train import Trainer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import markdown_table  # noqa: E402

RHO = 0.8
NORMAL_STD = math.sqrt(1 / 3)
STEPS = 1500  # fewer than the preset's 3,600: the runs shared two CPU cores with other work
SETS = {
    "ordering": {"cont1": (1, "uniform"), "cont4": (4, "uniform"), "cont2": (2, "uniform")},
    "priors": {"normal2": (2, "normal"), "copula2": (2, "copula")},
}


@dataclass(frozen=True)
class CopulaCodes(LatentSpec):
    """Two continuous codes with Unif(-1, 1) marginals and Gaussian-copula correlation `rho`."""

    rho: float = RHO

    def sample(self, batch: int, generator: torch.Generator | None = None, device: str = "cpu") -> Latent:
        z, cat, _ = super().sample(batch, generator, device)
        g = torch.randn(batch, 2, generator=generator, device=device)  # (B, 2) independent N(0, 1)
        g2 = self.rho * g[:, 0] + math.sqrt(1 - self.rho**2) * g[:, 1]  # corr(g1, g2) = rho
        return Latent(z, cat, normal_to_uniform(torch.stack([g[:, 0], g2], dim=1)))  # (B, 2)


@dataclass(frozen=True)
class NormalCodes(LatentSpec):
    """Continuous codes ~ N(0, 1/3) each, independent (an isotropic Gaussian)."""

    def sample(self, batch: int, generator: torch.Generator | None = None, device: str = "cpu") -> Latent:
        z, cat, _ = super().sample(batch, generator, device)
        return Latent(z, cat, torch.randn(batch, self.continuous, generator=generator, device=device) * NORMAL_STD)


def prior_spec(spec: LatentSpec, prior: str) -> LatentSpec:
    fields = spec.to_dict() | {"categorical": tuple(spec.categorical)}
    return {"uniform": LatentSpec, "copula": CopulaCodes, "normal": NormalCodes}[prior](**fields)


def code_entropy(prior: str) -> float:
    """H(c_j) of one code's marginal, in nats."""
    return 0.5 * math.log(2 * math.pi * math.e / 3) if prior == "normal" else math.log(2.0)


@torch.no_grad()
def code_report(model: torch.nn.Module, prior: str, n_effect: int = 1000, n_info: int = 5000) -> list[dict]:
    """Per continuous code: slant and ink effect sizes, mean squared pixel change, and Q's bound on I(c_j; x)."""
    spec = model.spec
    effects = continuous_code_effects(model.g, spec, n=n_effect)
    base = spec.sample(n_effect, torch.Generator().manual_seed(1))
    sampler = prior_spec(spec, prior)
    lat = sampler.sample(n_info, torch.Generator().manual_seed(2))
    out = []
    with evaluating(model):
        x = model.g(spec.to_input(lat))  # (n_info, 1, 28, 28)
        q = model.q(x)
        log_std = q.log_std.clamp(LOG_STD_MIN, LOG_STD_MAX)  # (n_info, n_cont), as in training
        logq = gaussian_log_density(lat.cont, q.mean, log_std)  # (n_info, n_cont): log N(c_j; mu_j, sigma_j)
        for code in spec.codes:
            if code.kind != "continuous":
                continue
            j = code.index
            imgs = []
            for v in (-1.0, 1.0):
                cont = base.cont.clone()
                cont[:, j] = v
                imgs.append(model.g(spec.to_input(Latent(base.z, base.cat, cont))))
            pixels = float(((imgs[1] - imgs[0]) ** 2).mean())
            info = code_entropy(prior) + float(logq[:, j].mean())
            out.append({"code": code.name, **effects[code.name], "pixels": pixels, "info": info,
                        "sigma": float(log_std[:, j].exp().mean())})
    return out


def train_or_load(name: str, n_cont: int, prior: str, runs: Path, data: tuple, steps: int, seed: int = 0) -> dict:
    x_train, x_test, y_test = data
    path = runs / name / "checkpoint.pt"
    config = get_preset("cpu", continuous=n_cont, seed=seed, steps=steps, eval_every=steps)
    saved = load_file(path) if path.exists() else None
    if saved is None or saved["step"] < steps:  # missing, or stopped part-way (it saved a checkpoint): go on
        if saved is None:
            trainer = Trainer(config, x_train, x_test, y_test, out_dir=runs / name, progress=False)
        else:
            trainer = Trainer.resume(path, x_train, x_test, y_test, progress=False, steps=steps)
        trainer.spec = prior_spec(trainer.spec, prior)  # the training loop draws its latents from this prior
        trainer.train()
        print(f"trained {name} to step {trainer.step} in {trainer.train_seconds:.0f} s", file=sys.stderr)
    return load_file(path)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--set", choices=sorted(SETS), required=True)
    p.add_argument("--runs", type=Path, default=Path("runs/code-ordering"))
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--export", nargs="*", default=[])
    p.add_argument("--only", nargs="*", default=None, help="these runs of the set, not all")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=STEPS, help="training steps of every run")
    p.add_argument("--seeds", type=int, nargs="+", default=[0],
                   help="seeds of every run (default 0; with any other list, each run is named <run>-s<seed>)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    x_train, _ = load_dataset("mnist", "train")
    x_test, y_test = load_dataset("mnist", "test")
    results = []
    several = args.seeds != [0]
    todo = [(setting, seed) for setting in SETS[args.set].items() for seed in args.seeds]
    for (base, (n_cont, prior)), seed in todo:
        if args.only is not None and base not in args.only:
            continue
        name = f"{base}-s{seed}" if several else base
        ckpt = train_or_load(name, n_cont, prior, args.runs, (x_train, x_test, y_test), args.steps, seed)
        model, seconds = model_from_checkpoint(ckpt), float(ckpt["train_seconds"])
        li = ckpt["history"]["li_cat"][-1]
        acc = evaluate(model, x_test, y_test).accuracy
        codes = code_report(model, prior)
        results.append({"run": name, "seed": seed, "continuous": n_cont, "prior": prior, "steps": int(ckpt["step"]),
                        "accuracy": acc, "li_cat_final": li,
                        "train_seconds": round(seconds, 1), "codes": codes})
        if name in args.export:
            cmd = f"OMP_NUM_THREADS=1 python benchmarks/code_ordering.py --set {args.set} --steps {args.steps}"
            meta = export_weights(ckpt, CHECKPOINT_DIR / f"mnist_cpu_{name}.pt", {
                "command": cmd, "preset": "cpu", "overrides": {"continuous": n_cont}, "prior": prior, "seed": seed,
                "steps": ckpt["step"], "train_seconds": round(seconds, 1), "device": "cpu",
                "test_accuracy": round(acc, 4), "li_cat_final": round(li, 4),
                "date": time.strftime("%Y-%m-%d"), "torch": torch.__version__,
            })
            print(f"exported {meta['file']} ({meta['bytes']} bytes)", file=sys.stderr)
    table = [
        [r["run"], r["prior"], f"{r['accuracy']:.3f}", f"{r['li_cat_final']:.3f}", c["code"], f"{c['slant']:+.2f}",
         f"{c['ink']:+.2f}", f"{c['pixels']:.4f}", f"{c['info']:.3f}", f"{c['sigma']:.3f}"]
        for r in results
        for c in r["codes"]
    ]
    headers = ("run", "prior", "accuracy", "L_I(c1)", "code", "slant", "ink", "pixels", "info (nats)", "sigma")
    print(markdown_table(table, headers))
    if args.json is not None:
        meta = {"machine": machine_summary(), "date": time.strftime("%Y-%m-%d"), "torch": torch.__version__,
                "command": " ".join(["python", *sys.argv]), "runs": results}
        args.json.write_text(json.dumps(meta, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
