"""How fast can InfoGAN train? The plain way against the fast path, one technique at a time, same run.

    python benchmarks/gpu_speed.py                  # on a CUDA GPU: the whole table, <= 10 minutes
    python benchmarks/gpu_speed.py --quick          # CPU variant (CI): few steps, CPU-applicable stages

Stages (same model, hyper-parameters and step count):
  1. baseline: eager fp32, a DataLoader over MNIST tensors on the CPU with pin_memory, `.item()` every step
  2. + the dataset on the device as uint8, batches drawn there (`TensorBatcher`)
  3. + no host sync inside the loop (metrics stay on the device)
  4. + channels-last   5. + bf16 autocast   6. + fused Adam
  7. + torch.compile of the D and G steps   8. the same with max-autotune   9. + CUDA graphs (`mode="reduce-overhead"`)
Then full `paper` runs (5,000 steps at batch 128, compile included) for several seeds with the fastest
stage, and eager fp32 runs for the seed-to-seed spread, each with its test accuracy.

Each stage that fails (say, CUDA graphs on an older driver) is reported as failed, and the table goes on.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import markdown_table  # noqa: E402

from infogan_edu.config import TrainConfig, get_preset, machine_summary  # noqa: E402
from infogan_edu.data import load_mnist, to_float_images  # noqa: E402
from infogan_edu.train import Trainer  # noqa: E402

STAGE_HEADERS = [
    "stage",
    "images/s",
    "ms/step",
    "speed-up",
    "GPU memory (MB)",
    "warm-up incl. compile (s)",
    "TFLOP/s",
    "note",
]
OFF = {"channels_last": False, "bf16": False, "compile": False, "fused_adam": False}
STAGES: list[tuple[str, dict, bool, bool, bool]] = [
    # name, config flags, DataLoader?, sync every step?, CUDA only?
    ("1 baseline: eager fp32, DataLoader, .item() per step", OFF, True, True, False),
    ("2 + data on device (uint8)", OFF, False, True, False),
    ("3 + no per-step host sync", OFF, False, False, False),
    ("4 + channels-last", {**OFF, "channels_last": True}, False, False, False),
    ("5 + bf16 autocast", {**OFF, "channels_last": True, "bf16": True}, False, False, True),
    ("6 + fused Adam", {**OFF, "channels_last": True, "bf16": True, "fused_adam": True}, False, False, True),
    (
        "7 + torch.compile (default mode)",
        {"channels_last": True, "bf16": True, "fused_adam": True, "compile": True, "compile_mode": "default"},
        False,
        False,
        True,
    ),
    (
        "8 + torch.compile, max-autotune-no-cudagraphs",
        {
            "channels_last": True,
            "bf16": True,
            "fused_adam": True,
            "compile": True,
            "compile_mode": "max-autotune-no-cudagraphs",
        },
        False,
        False,
        True,
    ),
    (
        "9 + CUDA graphs (reduce-overhead)",
        {"channels_last": True, "bf16": True, "fused_adam": True, "compile": True, "compile_mode": "reduce-overhead"},
        False,
        False,
        True,
    ),
]


class StageTimeout(Exception):
    """A stage ran past --stage-timeout (a long compilation, say); it is reported and the table goes on."""


def _alarm(signum: int, frame: object) -> None:
    raise StageTimeout("ran past --stage-timeout")


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def use_dataloader(trainer: Trainer, images, batch_size: int) -> None:
    """The plain way: float images on the CPU, shuffled by a DataLoader, copied to the device per batch."""
    data = torch.utils.data.TensorDataset(to_float_images(images))  # (N, 1, 28, 28) float32 on the CPU
    loader = torch.utils.data.DataLoader(
        data, batch_size=batch_size, shuffle=True, drop_last=True, pin_memory=trainer.device.type == "cuda"
    )

    def batches():
        while True:
            for (x,) in loader:
                yield x.to(trainer.device, non_blocking=True)

    it = batches()
    trainer.batcher.next = lambda: next(it)


def time_stage(cfg: TrainConfig, images, loader: bool, per_step_sync: bool, warmup: int, steps: int) -> dict:
    trainer = Trainer(cfg, images, progress=False)
    if loader:
        use_dataloader(trainer, images, cfg.batch_size)
    dev = trainer.device
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for _ in range(warmup):  # includes compilation
        trainer.train_step()
    sync(dev)
    warm_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    last = None
    for _ in range(steps):
        last = trainer.train_step()
        if per_step_sync:
            last.tolist()  # what `.item()` logging every step costs
    sync(dev)
    dt = time.perf_counter() - t0
    assert last is not None and torch.isfinite(last).all(), "non-finite loss while benchmarking"
    ms = 1000 * dt / steps
    return {
        "ms_step": ms,
        "img_s": cfg.batch_size * steps / dt,
        "mem_mb": torch.cuda.max_memory_allocated() / 2**20 if dev.type == "cuda" else float("nan"),
        "warmup_s": warm_s,
    }


def flops_per_step(cfg: TrainConfig, images) -> float:
    """FLOPs of one training step (D phase + G phase, forward and backward), counted on the CPU."""
    trainer = Trainer(cfg.replace(device="cpu", **OFF), images[:1024], progress=False)
    with FlopCounterMode(display=False) as counter:
        trainer.train_step()
    return float(counter.get_total_flops())


def full_runs(cfg: TrainConfig, seeds: list[int], data) -> list[dict]:
    x_train, x_test, y_test = data
    out = []
    for seed in seeds:
        c = cfg.replace(seed=seed, eval_every=cfg.steps, log_every=100)
        sync(torch.device("cuda" if torch.cuda.is_available() else "cpu"))
        t0 = time.perf_counter()
        trainer = Trainer(c, x_train, x_test, y_test, progress=False)
        # the first step, timed alone: with compile on, it compiles the phases (its metrics stay out of the
        # history's first window; the run still trains every one of its steps)
        t_first = time.perf_counter()
        trainer.train_step()
        sync(torch.device("cuda" if torch.cuda.is_available() else "cpu"))
        compile_s = time.perf_counter() - t_first if trainer.fast["compile"] else 0.0
        trainer.train()
        wall = time.perf_counter() - t0  # includes model build, compile and the final evaluation
        out.append(
            {
                "seed": seed,
                "wall_s": wall,
                "accuracy": trainer.history.accuracy[-1],
                "li_end": trainer.history.li_cat[-1],
                "compile_s": compile_s,
            }
        )
        r = out[-1]
        print(f"  seed {seed}: {wall:.1f} s, accuracy {r['accuracy']:.4f}, L_I {r['li_end']:.3f}", flush=True)
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="CPU/CI variant: few steps, no full runs")
    p.add_argument("--preset", default=None, choices=["paper", "cpu"], help="default: paper, or cpu with --quick")
    p.add_argument("--steps", type=int, default=None, help="timed steps per stage")
    p.add_argument("--warmup", type=int, default=None, help="untimed steps per stage (compilation included)")
    p.add_argument("--seeds", type=int, nargs="*", default=None, help="seeds of the full fast runs")
    p.add_argument("--eager-seeds", type=int, nargs="*", default=None, help="seeds of the full eager fp32 runs")
    p.add_argument("--cpu-compile", action="store_true", help="also try torch.compile on the CPU (slow to compile)")
    p.add_argument("--only", type=int, nargs="*", default=None, help="run only these stage numbers (e.g. 4 7 9)")
    p.add_argument("--stage-timeout", type=int, default=0, help="seconds per stage before it is reported as failed")
    args = p.parse_args(argv)
    if args.stage_timeout:
        signal.signal(signal.SIGALRM, _alarm)

    cuda = torch.cuda.is_available()
    steps = args.steps or (200 if cuda else (10 if args.quick else 100))
    warmup = args.warmup or (30 if cuda else 3)
    seeds = args.seeds if args.seeds is not None else ([0, 1, 2, 3, 4] if cuda and not args.quick else [])
    eager_seeds = args.eager_seeds if args.eager_seeds is not None else ([0, 1, 2] if cuda and not args.quick else [])
    base = get_preset(args.preset or ("cpu" if args.quick else "paper"))
    x_train, _ = load_mnist("train")
    images = x_train[:4096] if args.quick else x_train

    flops = flops_per_step(base, images)
    machine = machine_summary()
    print(f"# InfoGAN training speed: {base.preset} preset (width {base.width}, batch {base.batch_size}) on {machine}")
    print(f"torch {torch.__version__}; {steps} timed steps per stage after {warmup} warm-up steps")
    print(f"FLOPs per training step: {flops / 1e9:.1f} GFLOP ({flops / base.batch_size / 1e9:.3f} GFLOP per image)\n")

    rows, baseline = [], None
    for name, flags, loader, per_step_sync, cuda_only in STAGES:
        if args.only is not None and int(name.split()[0]) not in args.only:
            continue
        if cuda_only and not cuda and not (args.cpu_compile and flags.get("compile") and "graphs" not in name):
            rows.append((name, None, "skipped: CUDA only"))
            continue
        cfg = base.replace(**flags)
        try:
            signal.alarm(args.stage_timeout)  # 0: no limit
            r = time_stage(cfg, images, loader, per_step_sync, warmup, steps)
        except Exception as e:  # report and go on: one broken technique must not hide the others
            rows.append((name, None, f"failed: {type(e).__name__}: {str(e).splitlines()[0][:80]}"))
            print(f"  {name}: {rows[-1][2]}", flush=True)
            continue
        finally:
            signal.alarm(0)
        baseline = baseline or r
        rows.append((name, r, ""))
        print(f"  {name}: {r['ms_step']:.2f} ms/step", flush=True)

    table = []
    for name, r, note in rows:
        if r is None:
            table.append([name, "", "", "", "", "", "", note])
            continue
        tflops = flops / (r["ms_step"] / 1000) / 1e12
        table.append(
            [
                name,
                f"{r['img_s']:,.0f}",
                f"{r['ms_step']:.2f}",
                f"{r['img_s'] / baseline['img_s']:.2f}x",
                f"{r['mem_mb']:.0f}",
                f"{r['warmup_s']:.1f}",
                f"{tflops:.2f}",
                "",
            ]
        )
    print("\n" + markdown_table(table, STAGE_HEADERS))

    done = [(name, r) for name, r, _ in rows if r is not None]
    if not done:
        raise SystemExit("no stage finished; see the notes in the table")
    best_name, best = min(done, key=lambda t: t[1]["ms_step"])
    est = 5000 * best["ms_step"] / 1000 + best["warmup_s"]
    print(f"\nfastest stage: {best_name}; estimated full paper run (5,000 steps at batch 128): {est:.1f} s")

    if seeds or eager_seeds:
        data = (x_train, *load_mnist("test"))
        best_flags = next(flags for name, flags, *_ in STAGES if name == best_name)
        print(f"\nfull runs with the fastest stage ({best_name}):")
        fast = full_runs(base.replace(**best_flags), seeds, data)
        print("\nfull runs, eager fp32 (the seed-to-seed spread):")
        eager = full_runs(base.replace(**OFF), eager_seeds, data)
        table = [
            [
                label,
                len(runs),
                ", ".join(f"{r['wall_s']:.1f}" for r in runs),
                ", ".join(f"{r['accuracy']:.3f}" for r in runs),
                f"{statistics.median(r['accuracy'] for r in runs):.3f}",
            ]
            for label, runs in (("fast path", fast), ("eager fp32", eager))
            if runs
        ]
        headers = ["run", "seeds", "wall time per run (s)", "test accuracy per seed", "median accuracy"]
        print("\n" + markdown_table(table, headers))


if __name__ == "__main__":
    main()
