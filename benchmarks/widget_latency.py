"""How long the traversal explorer takes from a slider change to new PNG bytes.

The budget for a control that feels live is 50 ms. The measured path is exactly what a slider drag
does in the kernel: `slider.value = v` -> observer -> noise from the cache -> G(z, c) on n^2
latents in eval mode -> PNG encoding -> `Image.value`. (The browser then needs a few ms more to
receive and draw about 2-10 kB.)

    .venv/bin/python benchmarks/widget_latency.py                 # cpu model, 8 x 8 grid
    .venv/bin/python benchmarks/widget_latency.py --grid 10 --threads 2 --compare

Prints the median and 95th percentile over `--repeats` slider moves, the load average (wall-clock
numbers depend on what else runs on the cores) and, with one torch thread, the CPU time of the
rendering thread, which is what the latency would be on an idle core. The model is the `cpu`
preset's size, InfoGAN(LatentSpec(62, (10,), 2), width=0.25); its weights do not change the time,
so a freshly initialised one is used unless the shipped checkpoint is installed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import write_json  # noqa: E402

from infogan_edu.frames import cpu_render_settings  # noqa: E402
from infogan_edu.latent import LatentSpec  # noqa: E402
from infogan_edu.models import InfoGAN  # noqa: E402
from infogan_edu.plots import generate, grid_png  # noqa: E402
from infogan_edu.pretrained import available_pretrained, load_pretrained  # noqa: E402
from infogan_edu.widgets import TraversalExplorer  # noqa: E402


def build_model(seed: int) -> tuple[InfoGAN, str]:
    if "mnist_cpu" in available_pretrained():
        model, _ = load_pretrained("mnist_cpu")
        return model, "shipped checkpoint mnist_cpu"
    torch.manual_seed(seed)
    return InfoGAN(LatentSpec(62, (10,), 2), width=0.25).eval(), "untrained, width=0.25"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=8, help="n for an n x n grid (default 8)")
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1, help="torch threads while rendering (default 1)")
    parser.add_argument("--compare", action="store_true", help="two generators side by side")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="also write the raw timings here, with provenance")
    args = parser.parse_args(argv)

    model, source = build_model(args.seed)
    other = InfoGAN(model.spec, width=model.width).eval() if args.compare else None
    explorer = TraversalExplorer(model.g, model.spec, compare=None if other is None else other.g,
                                 grid=args.grid, threads=args.threads)
    slider = explorer.controls["c2"]
    values = torch.linspace(-2, 2, 81).tolist()
    for v in values[:10]:  # warm-up: first calls allocate and pick kernels
        slider.value = v
    times, cpu_times = [], []
    for i in range(args.repeats):
        previous = explorer.image.value
        started, cpu_started = time.perf_counter(), time.thread_time()
        slider.value = values[(i * 7 + 3) % len(values)]  # steps of 7 out of 81: never the same value twice
        times.append(time.perf_counter() - started)
        cpu_times.append(time.thread_time() - cpu_started)
        assert explorer.image.value != previous, "the slider change did not produce new image bytes"

    # where the time goes: G alone, then the PNG alone, for the latent on screen
    g_ms, png_ms = [], []
    with cpu_render_settings(args.threads, onednn=False):
        for _ in range(50):
            started = time.perf_counter()
            images = generate(model.g, model.spec, explorer.latent)
            g_ms.append((time.perf_counter() - started) * 1e3)
            started = time.perf_counter()
            grid_png(images, nrow=args.grid, scale=explorer.scale)
            png_ms.append((time.perf_counter() - started) * 1e3)

    ms = [t * 1e3 for t in times]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"model: {source}; grid {args.grid}x{args.grid} of 28x28; threads {args.threads}; "
          f"compare {args.compare}; torch {torch.__version__}; {os.cpu_count()} CPUs "
          f"({platform.machine()}); load average {load}")
    print(f"slider change -> new PNG bytes over {args.repeats} moves: "
          f"median {statistics.median(ms):.1f} ms, p95 {percentile(ms, 95):.1f} ms, max {max(ms):.1f} ms "
          f"(budget 50 ms); PNG {len(explorer.image.value)} bytes")
    print(f"  of which G(z, c): median {statistics.median(g_ms):.1f} ms; PNG encoding: median "
          f"{statistics.median(png_ms):.1f} ms")
    if args.threads == 1:  # one thread does all the work, so its CPU time is the latency on an idle core
        cpu_ms = [t * 1e3 for t in cpu_times]
        print(f"  CPU time of the rendering thread (= latency on an idle core): median "
              f"{statistics.median(cpu_ms):.1f} ms, p95 {percentile(cpu_ms, 95):.1f} ms")
    if args.json is not None:
        raw = {"model": source, "grid": args.grid, "threads": args.threads, "compare": args.compare,
               "load_average": os.getloadavg(), "wall_ms": ms, "g_ms": g_ms, "png_ms": png_ms,
               "thread_cpu_ms": [t * 1e3 for t in cpu_times], "png_bytes": len(explorer.image.value)}
        write_json(args.json, raw, "benchmarks/widget_latency.py", argv)


if __name__ == "__main__":
    main()
