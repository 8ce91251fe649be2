"""Command line: train, resume, evaluate and export InfoGAN runs.

    python -m infogan_edu train --dataset mnist --preset cpu --seed 0 --out runs/cpu-s0
    python -m infogan_edu train --out runs/cpu-s0 --resume          # continue after Ctrl-C / SIGTERM
    python -m infogan_edu train --preset cpu --lambda0-control --out runs/cpu-lambda0-s0
    python -m infogan_edu train --preset paper --out runs/p0 --set compile=true --set lambda_cont=0.1
    python -m infogan_edu train --preset cpu --seeds 0-7 --out runs/cpu-k8   # 8 seeds at once, one folder each
    python -m infogan_edu train --dataset folder:~/photos --rgb --codes cat:10,cont:2 --out runs/photos  # your images
    python -m infogan_edu eval runs/cpu-s0/checkpoint.pt
    python -m infogan_edu export runs/cpu-s0/checkpoint.pt --out infogan_edu/checkpoints/mnist_cpu.pt

Errors a user can cause (a wrong path, missing data, a corrupt or foreign checkpoint, NaN) end in
one line that says what happened and what to do, with exit status 2, 3 or 130 (interrupted).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import NoReturn

import torch

from . import __version__, cli_options
from .checkpoint import CheckpointError, export_weights, load_file, write_atomic
from .config import (
    PRESET_ENV,
    PRESETS,
    TrainConfig,
    get_preset,
    lambda0_control,
    machine_summary,
    pick_device,
    select_preset,
)

__all__ = ["main", "parse_overrides"]


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (what was wrong, and where the help is), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m infogan_edu",
        description="Train and evaluate InfoGAN (Chen et al. 2016) on MNIST, Fashion-MNIST, SVHN, CelebA or a folder "
        "of images.",
    )
    p.add_argument("--version", action="version", version=f"infogan-edu {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a preset, writing DIR/checkpoint.pt and DIR/summary.json")
    t.add_argument(
        "--dataset",
        default=None,
        type=cli_options.dataset_argument,
        help="training data: mnist, fashion-mnist, svhn, celeba, heads3d, chairs3d, or folder:PATH, your PNG/JPEG "
        "images under PATH, sub-folders included (default: the preset's, mnist for cpu and paper; with --resume, the "
        "data the run was trained on)",
    )
    t.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default=None,
        help=f"'paper' (full width, GPU) or 'cpu' (quarter width); default: by device, or ${PRESET_ENV}",
    )
    t.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    t.add_argument(
        "--seeds",
        default=None,
        help="train several seeds at once, e.g. 0-7 or 0,3,5: OUT/seed-S/ per seed, OUT/seeds.md for all",
    )
    t.add_argument("--out", required=True, type=Path, help="output folder for checkpoint.pt and summary.json")
    t.add_argument("--steps", type=int, default=None, help="total training steps (default: the preset's)")
    t.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    t.add_argument("--data-root", type=Path, default=None, help="folder holding mnist/, svhn/, ... (default: search)")
    t.add_argument(
        "--lambda0-control",
        action="store_true",
        help="train the lambda = 0 control of the preset (config.lambda0_control): G gets no L_I gradient, Q learns",
    )
    cli_options.add_options(t)
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="override one TrainConfig field of the preset, e.g. --set compile=false --set lr_d=4e-4 (repeatable; "
        "true/false (or 1/0, yes/no), none, numbers, and comma-separated tuples such as categorical=10,10)",
    )

    e = sub.add_parser("eval", help="test accuracy (Hungarian), NMI, final L_I; MIG and rho for heads3d, chairs3d")
    e.add_argument("checkpoint", type=Path)
    e.add_argument("--data-root", type=Path, default=None)

    x = sub.add_parser("export", help="write a small fp16 copy of a checkpoint plus a JSON with its SHA-256")
    x.add_argument("checkpoint", type=Path)
    x.add_argument("--out", required=True, type=Path)
    x.add_argument("--train-command", default="", help="the command that trained it, recorded in the JSON")
    x.add_argument("--data-root", type=Path, default=None)
    return p


def _load_data(dataset: str, root: Path | None, **image: object):
    """(x_train, x_test, y_test); a folder (`image`: its size and colour) has no test split, and CelebA's labels are
    attributes, not classes: x_test, y_test None, and training uses every image."""
    from .data import has_class_labels, is_folder_dataset, load_dataset

    if is_folder_dataset(dataset):
        return cli_options.folder_images(dataset, **image), None, None
    if not has_class_labels(dataset):
        return load_dataset(dataset, "all", root=root)[0], None, None
    x_train, _ = load_dataset(dataset, "train", root=root)
    x_test, y_test = load_dataset(dataset, "test", root=root)
    return x_train, x_test, y_test


def _run_data(args: argparse.Namespace, dataset: str, ckpt: Path | None, config: TrainConfig | None):
    """The data of a new run (`config`) or a resumed one (`ckpt`): a folder at the size and colour given or recorded,
    with at least one batch of images."""
    x_train, x_test, y_test = _load_data(dataset, args.data_root, **cli_options.image_options(args, dataset, ckpt))
    batch = load_file(ckpt)["config"]["batch_size"] if ckpt else config.batch_size if config else 1
    cli_options.check_enough_images(x_train, batch, dataset)
    return x_train, x_test, y_test


def parse_overrides(items: list[str]) -> dict[str, object]:
    """`["bf16=false", "lr_d=4e-4"]` -> `{"bf16": False, "lr_d": 0.0004}`, typed by the TrainConfig field.

    Raises ValueError naming the item when a field is unknown or a value does not fit its field.
    """
    fields = {f.name: f for f in dataclasses.fields(TrainConfig)}
    defaults = TrainConfig()
    out: dict[str, object] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or name not in fields or name == "preset":
            known = ", ".join(n for n in fields if n != "preset")
            raise ValueError(f"--set {item!r}: expected FIELD=VALUE with FIELD one of: {known}")
        default = getattr(defaults, name)
        lowered = text.lower()
        try:
            if lowered == "none" and "None" in str(fields[name].type):
                value: object = None
            elif isinstance(default, bool) or "bool" in str(fields[name].type):
                if lowered not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError("expected true or false")
                value = lowered in ("true", "1", "yes")
            elif isinstance(default, tuple):
                kind = type(default[0])
                value = tuple(kind(v) for v in text.split(","))
            elif isinstance(default, (int, float)):
                value = type(default)(text)
            else:
                value = text
        except ValueError as e:
            raise ValueError(f"--set {item!r}: {e}; the default of {name} is {default!r}") from None
        out[name] = value
    return out


def _summary(trainer, args: argparse.Namespace) -> dict:
    """What one seed's run did, as written to its summary.json."""
    cfg, h = trainer.config, trainer.history
    return {
        "preset": cfg.preset,
        "dataset": cfg.dataset,
        "seed": cfg.seed,
        "steps": trainer.step,
        "device": str(trainer.device),
        "machine": machine_summary(),
        "torch": torch.__version__,
        "fast_path": trainer.fast,
        "overrides": _overrides(cfg),
        "train_seconds": round(trainer.train_seconds, 1),
        "test_accuracy": h.accuracy[-1] if h.accuracy else None,
        "nmi": h.nmi[-1] if h.nmi else None,
        "li_cat_final": h.li_cat[-1] if h.li_cat else None,
        "date": time.strftime("%Y-%m-%d"),
    }


def _resumed_dataset(args: argparse.Namespace, ckpt: Path) -> str:
    """The dataset a resumed run continues on: the one its checkpoint recorded (a different --dataset is an error,
    where it used to continue a Fashion-MNIST run on MNIST when --dataset was not repeated)."""
    recorded = load_file(ckpt)["config"].get("dataset", "mnist")
    if args.dataset is not None and args.dataset != recorded:
        raise ValueError(f"--dataset {args.dataset}, but {ckpt} was trained on {recorded}; drop --dataset to resume it")
    return recorded


def _check_resumed_changes(changes: dict[str, object], ckpt: Path) -> None:
    """A resumed run keeps the configuration its checkpoint recorded: --set may repeat a value (so that a script can
    pass the same command to start or continue a run) but not change one."""
    recorded = load_file(ckpt)["config"]
    for name, value in changes.items():
        if json.loads(json.dumps(value)) != json.loads(json.dumps(recorded.get(name))):  # tuples stored as lists
            raise ValueError(
                f"--set {name}={value!r}, but {ckpt} was trained with {name}={recorded.get(name)!r}; "
                "a resumed run keeps its configuration: drop that --set, or train a new run in another --out"
            )


def _overrides(config: TrainConfig) -> list[str]:
    """The fields where a run's configuration differs from its preset (seed, steps and data reported apart), as
    FIELD=VALUE, the same whether the run was started or resumed."""
    if config.preset not in PRESETS:
        return []
    base = dataclasses.asdict(get_preset(config.preset))
    apart = {"seed", "steps", "dataset"}
    return [
        f"{name}={','.join(map(str, value)) if isinstance(value, tuple) else value}"
        for name, value in dataclasses.asdict(config).items()
        if name not in apart and value != base[name]
    ]


def _given_once(args: argparse.Namespace, changes: dict[str, object]) -> None:
    """Refuse a field given both by its own option and by --set: neither spelling may silently win."""
    for name in ("seed", "steps", "dataset"):
        if getattr(args, name) is not None and name in changes:
            raise ValueError(
                f"{name} is given twice (--{name} {getattr(args, name)} and --set {name}={changes[name]}); give it once"
            )


def _config(args: argparse.Namespace, changes: dict[str, object]) -> TrainConfig:
    seed = 0 if args.seed is None else args.seed
    dataset = {"dataset": args.dataset} if args.dataset is not None else {}  # else the preset's own data
    overrides = {"seed": seed, **dataset, **changes}
    if args.steps is not None:
        overrides["steps"] = args.steps
    config = get_preset(args.preset, **overrides) if args.preset else select_preset(**overrides)
    return lambda0_control(config) if args.lambda0_control else config


def _train(args: argparse.Namespace) -> int:
    from .train import Trainer

    changes = parse_overrides(args.set)  # a bad --set (or --codes) fails here, before the data is read
    _given_once(args, changes)
    changes = cli_options.with_codes(args, changes)
    if args.seeds is not None:
        return _train_seeds(args, changes)
    ckpt = args.out / "checkpoint.pt"
    config = None if args.resume else _config(args, changes)  # a bad value fails here, before the data is read
    if config is not None and ckpt.exists():
        print(f"error: {ckpt} exists; pass --resume to continue it or choose another --out", file=sys.stderr)
        return 2
    if args.resume and not ckpt.is_file():
        raise CheckpointError(f"no checkpoint at {ckpt} to resume: check --out, or train without --resume")
    if args.resume:
        _check_resumed_changes(changes, ckpt)
        cli_options.check_resumed(args, ckpt)
    dataset = _resumed_dataset(args, ckpt) if args.resume else config.dataset
    x_train, x_test, y_test = _run_data(args, dataset, ckpt if args.resume else None, config)
    if args.resume:
        overrides = {"steps": args.steps} if args.steps is not None else {}
        trainer = Trainer.resume(
            ckpt, x_train, x_test, y_test, out_dir=args.out, progress=not args.no_progress, **overrides
        )
        print(f"resuming {ckpt} at step {trainer.step} of {trainer.config.steps}")
    else:
        trainer = Trainer(config, x_train, x_test, y_test, out_dir=args.out, progress=not args.no_progress)
    cfg = trainer.config
    print(f"preset={cfg.preset} device={trainer.device} seed={cfg.seed} steps={cfg.steps} batch={cfg.batch_size}")
    trainer.train()
    summary = _summary(trainer, args)
    write_atomic((json.dumps(summary, indent=2) + "\n").encode(), args.out / "summary.json", "the summary")
    print(json.dumps(summary))
    return 0


def _train_seeds(args: argparse.Namespace, changes: dict[str, object]) -> int:
    """`train --seeds 0-7`: every seed in one vectorised run, OUT/seed-S/ per seed, OUT/seeds.md for all."""
    from .multiseed import MultiSeedTrainer, parse_seeds
    from .selection import DEFAULT_RULE, label_free_scores, pick

    seeds = parse_seeds(args.seeds)  # a bad list (or config, below) fails here, before the data is read
    config = None if args.resume else _config(args, changes)
    first = sorted(args.out.glob("seed-*/checkpoint.pt"))
    if args.resume and first:
        _check_resumed_changes(changes, first[0])
        cli_options.check_resumed(args, first[0])
    resumed = first[0] if args.resume and first else None
    dataset = _resumed_dataset(args, resumed) if resumed else config.dataset if config else (args.dataset or "mnist")
    x_train, x_test, y_test = _run_data(args, dataset, resumed, config)
    if args.resume:
        overrides = {"steps": args.steps} if args.steps is not None else {}
        mst = MultiSeedTrainer.resume(args.out, x_train, x_test, y_test, progress=not args.no_progress, **overrides)
        if mst.seeds != seeds:
            print(f"error: {args.out} holds seeds {mst.seeds}, not {seeds}", file=sys.stderr)
            return 2
        print(f"resuming {len(seeds)} seeds in {args.out} at step {mst.step} of {mst.config.steps}")
    else:
        taken = [s for s in seeds if (args.out / f"seed-{s}" / "checkpoint.pt").exists()]
        if taken:
            print(
                f"error: {args.out} already holds seeds {taken}; pass --resume or choose another --out", file=sys.stderr
            )
            return 2
        mst = MultiSeedTrainer(
            config, seeds, x_train, x_test, y_test, out_dir=args.out, progress=not args.no_progress
        )
    cfg = mst.config
    print(f"preset={cfg.preset} device={mst.device} seeds={seeds} steps={cfg.steps} batch={cfg.batch_size}")
    mst.train()
    for t in mst.live():
        text = json.dumps(_summary(t, args), indent=2) + "\n"
        write_atomic(text.encode(), t.out_dir / "summary.json", "the summary")
    print(mst.write_summary().read_text(), end="")
    for message in mst.failed.values():
        print(f"stopped: {message}")
    live = [s for s in seeds if s not in mst.failed]
    if len(live) > 1:
        models = [t.model for t in mst.live()]
        images, which = (x_test, "test") if x_test is not None else (x_train, "train")  # a folder has no test split
        chosen = live[pick(label_free_scores(models, images), DEFAULT_RULE)]  # the images, without their labels
        print(f"label-free pick ({DEFAULT_RULE}, unlabelled {which} images): seed {chosen} -> {args.out}/seed-{chosen}")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from .data import has_class_labels, load_dataset
    from .metrics import evaluate
    from .pretrained import model_from_checkpoint

    ckpt = load_file(args.checkpoint)
    dataset = ckpt["config"].get("dataset", "mnist")
    if dataset in cli_options.RENDERED_DATASETS:  # known factors instead of classes: MIG and Spearman's rho
        return cli_options.eval_factors(args.checkpoint, ckpt, dataset)
    if not has_class_labels(dataset):
        raise ValueError(cli_options.no_labels_message(args.checkpoint, dataset))
    model = model_from_checkpoint(ckpt, args.checkpoint).to(pick_device())
    x_test, y_test = load_dataset(dataset, "test", root=args.data_root)
    scores = evaluate(model, x_test, y_test)
    hist = ckpt.get("history") if isinstance(ckpt.get("history"), dict) else {}  # exports carry none
    li = [v for v in hist.get("li_cat", []) if isinstance(v, float)]
    print(f"checkpoint: {args.checkpoint} (step {ckpt['step']}, preset {ckpt['config'].get('preset')})")
    print(f"test accuracy (Hungarian): {scores.accuracy:.4f}")
    print(f"NMI: {scores.nmi:.4f}   ARI: {scores.ari:.4f}")
    print(f"final L_I (categorical, nats): {li[-1]:.4f}" if li else "final L_I: not recorded in this checkpoint")
    return 0


def _export(args: argparse.Namespace) -> int:
    from .data import has_class_labels, load_dataset
    from .metrics import evaluate
    from .pretrained import model_from_checkpoint

    ckpt = load_file(args.checkpoint)
    model = model_from_checkpoint(ckpt, args.checkpoint)
    dataset = ckpt["config"].get("dataset", "mnist")
    scores = None  # a folder or CelebA has no class labels: the export records no accuracy
    if has_class_labels(dataset):
        scores = evaluate(model, *load_dataset(dataset, "test", root=args.data_root))
    hist = ckpt.get("history", {})
    provenance = {
        "command": args.train_command,
        "preset": ckpt["config"]["preset"],
        "seed": ckpt["config"]["seed"],
        "overrides": _overrides(TrainConfig.from_dict(ckpt["config"])),
        "steps": ckpt["step"],
        "train_seconds": round(float(ckpt.get("train_seconds", 0.0)), 1),
        "device": "cpu" if not torch.cuda.is_available() else torch.cuda.get_device_name(),
        "test_accuracy": round(scores.accuracy, 4) if scores else None,
        "nmi": round(scores.nmi, 4) if scores else None,
        "li_cat_final": round(hist["li_cat"][-1], 4) if hist.get("li_cat") else None,
        "date": time.strftime("%Y-%m-%d"),
        "torch": torch.__version__,
    }
    meta = export_weights(ckpt, args.out, provenance)
    print(json.dumps(meta, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from .data import DataNotFoundError
    from .train import NonFiniteLossError, TrainingInterrupted

    try:
        return {"train": _train, "eval": _eval, "export": _export}[args.command](args)
    except TrainingInterrupted as e:
        print(f"\n{e}", file=sys.stderr)
        return 130
    except (CheckpointError, DataNotFoundError, NonFiniteLossError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 3 if isinstance(e, NonFiniteLossError) else 2
    except RuntimeError as e:  # a model or batch too big for the machine: one line, not torch's allocator report
        text = str(e)
        if "can't allocate memory" not in text and "out of memory" not in text:  # CPU allocator, CUDA OOM
            raise
        first = text.strip().splitlines()[0][:160] if text.strip() else type(e).__name__
        print(
            f"error: out of memory ({first}); use a smaller width, batch_size or latent code, or a machine with more "
            "memory",
            file=sys.stderr,
        )
        return 2
