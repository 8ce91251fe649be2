"""The train command's options for its data and its codes: ``--dataset folder:PATH``, ``--image-size``, ``--rgb`` and
``--codes`` (kept out of `cli` so that the command line stays one readable module).

    python -m infogan_edu train --dataset folder:~/photos --image-size 64 --codes cat:10,cont:2 --out runs/photos
    python -m infogan_edu train --out runs/photos --resume          # the same folder, size and colour

``--codes`` is a shorthand for the two TrainConfig fields that already hold the codes, ``--set categorical=10,10
--set continuous=2``: ``cat:K`` adds one categorical code with K values, ``cont:N`` adds N continuous codes, so
``cat:10,cat:10,cont:2`` is ``categorical=(10, 10), continuous=2``. LatentSpec checks the result with its own rules,
and the codes are named c1, c2, ... categorical first, whatever the order written.

A folder run records ``folder:`` + the folder's absolute path as its dataset, and its image size and channels in
the model's architecture, so ``--resume`` reads the same folder the same way, and refuses another folder, size or
colour. A folder has no labels: the run has no test accuracy, ``eval`` says so, ``export`` records none.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np

from .checkpoint import load_file
from .data.datasets import COLOUR_DATASETS, DATASETS, RENDERED_DATASETS
from .data.folder import folder_dataset, folder_path, is_folder_dataset, load_folder

__all__ = [
    "DEFAULT_SIZE",
    "NETWORK_FOR_SIZE",
    "SIZES",
    "add_options",
    "check_enough_images",
    "check_resumed",
    "dataset_argument",
    "eval_factors",
    "folder_images",
    "format_codes",
    "image_options",
    "parse_codes",
    "no_labels_message",
    "with_codes",
]

# the image sizes models.InfoGAN builds: 7 -> 14 -> 28 and 8 -> ... -> 64 (Table 1's network), 2 -> ... -> 32 (the
# SVHN and CelebA network of Tables 2-3, which --image-size 32 chooses)
SIZES = (28, 32, 64)
NETWORK_FOR_SIZE = {28: "mnist", 32: "svhn-celeba", 64: "mnist"}
DEFAULT_SIZE = 64
_EXAMPLE = "e.g. --codes cat:10,cont:2 (one categorical code with 10 values and two continuous codes)"


def dataset_argument(text: str) -> str:
    """argparse type of ``--dataset``: ``mnist``, ``fashion-mnist``, ``svhn``, ``celeba``, ``heads3d``, ``chairs3d``
    or ``folder:PATH`` (made absolute)."""
    if text in DATASETS or text in COLOUR_DATASETS or text in RENDERED_DATASETS:
        return text
    if is_folder_dataset(text) and text[len("folder:") :].strip():
        return folder_dataset(folder_path(text))
    if is_folder_dataset(text):
        raise argparse.ArgumentTypeError("folder: needs the folder's path after it, e.g. --dataset folder:~/photos")
    names = ", ".join((*DATASETS, *COLOUR_DATASETS, *RENDERED_DATASETS))
    raise argparse.ArgumentTypeError(f"{text!r} is none of {names} or folder:PATH")


def add_options(train: argparse.ArgumentParser) -> None:
    """Add ``--image-size``, ``--rgb`` and ``--codes`` to the train command (``--dataset`` is cli's own)."""
    train.add_argument(
        "--image-size",
        type=int,
        choices=SIZES,
        default=None,
        help=f"with --dataset folder:PATH: the side of the square crops, in pixels (default {DEFAULT_SIZE}; smaller "
        "images are refused, not enlarged; 32 trains the paper's SVHN/CelebA network, 28 and 64 its MNIST one)",
    )
    train.add_argument("--rgb", action="store_true", help="with --dataset folder:PATH: colour images (default: gray)")
    train.add_argument(
        "--codes",
        default=None,
        metavar="SPEC",
        help="the latent codes, e.g. cat:10,cat:10,cont:2 (cat:K one categorical code with K values, cont:N N "
        "continuous codes; default: the preset's, cat:10,cont:2 for cpu and paper); shorthand for --set "
        "categorical=... continuous=...",
    )


def parse_codes(text: str) -> dict[str, object]:
    """``"cat:10,cat:10,cont:2"`` -> ``{"categorical": (10, 10), "continuous": 2}``; ValueError naming --codes."""
    categorical: list[int] = []
    continuous = 0
    for item in text.split(","):
        kind, _, number = (part.strip() for part in item.strip().partition(":"))
        if kind not in ("cat", "cont") or not re.fullmatch(r"[0-9]+", number):
            raise ValueError(f"--codes {text!r}: {item.strip()!r} is not cat:K or cont:N; {_EXAMPLE}")
        if kind == "cat" and int(number) < 2:
            raise ValueError(f"--codes {text!r}: cat:{number} has fewer than 2 values; a categorical code needs K >= 2")
        if kind == "cont" and int(number) < 1:
            raise ValueError(f"--codes {text!r}: cont:{number} adds no code; leave it out or give N >= 1")
        if kind == "cat":
            categorical.append(int(number))
        else:
            continuous += int(number)
    return {"categorical": tuple(categorical), "continuous": continuous}


def format_codes(categorical: list[int] | tuple[int, ...], continuous: int) -> str:
    """The --codes spelling of a run's codes: ``format_codes((10,), 2) == "cat:10,cont:2"``."""
    return ",".join([f"cat:{k}" for k in categorical] + ([f"cont:{continuous}"] if continuous else []))


def with_codes(args: argparse.Namespace, changes: dict[str, object]) -> dict[str, object]:
    """The --set changes plus --codes (parsed here, before any data is read) and the network --image-size needs,
    with a folder given by ``--set dataset=folder:PATH`` made absolute. --codes and --set categorical/continuous
    together are refused."""
    changes = dict(changes)
    dataset = changes.get("dataset")
    if isinstance(dataset, str) and is_folder_dataset(dataset) and dataset[len("folder:") :].strip():
        changes["dataset"] = folder_dataset(folder_path(dataset))  # "folder:" alone: TrainConfig refuses it
    if args.image_size is not None and not args.resume:  # the network that builds images of that size
        changes.setdefault("network", NETWORK_FOR_SIZE[args.image_size])
    if args.codes is None:
        return changes
    codes = parse_codes(args.codes)
    both = [name for name in codes if name in changes]
    if both:
        value = changes[both[0]]
        text = ",".join(map(str, value)) if isinstance(value, tuple) else value
        raise ValueError(f"the codes are given twice (--codes {args.codes} and --set {both[0]}={text}); give them once")
    return changes if args.resume else {**changes, **codes}  # a resumed run's codes are checked by check_resumed


def image_options(args: argparse.Namespace, dataset: str, ckpt: Path | None) -> dict[str, object]:
    """How to read `dataset`: ``{"size": S, "colour": "gray" | "rgb"}`` for a folder (a resumed run's from the
    architecture its checkpoint `ckpt` recorded), ``{}`` otherwise; --image-size and --rgb without a folder are
    refused."""
    if not is_folder_dataset(dataset):
        if args.image_size is not None or args.rgb:
            given = f"--image-size {args.image_size}" if args.image_size is not None else "--rgb"
            raise ValueError(f"{given} applies to --dataset folder:PATH only; {dataset} comes in one size and colour")
        return {}
    if ckpt is None:
        return {"size": args.image_size or DEFAULT_SIZE, "colour": "rgb" if args.rgb else "gray"}
    arch = load_file(ckpt)["architecture"]
    size, colour = arch.get("image_size"), "rgb" if arch.get("channels", 1) == 3 else "gray"
    if args.image_size is not None and args.image_size != size:
        raise ValueError(
            f"--image-size {args.image_size}, but {ckpt} was trained on {size}x{size} images; drop --image-size to "
            "resume it, or train a new run in another --out"
        )
    if args.rgb and colour != "rgb":
        raise ValueError(f"--rgb, but {ckpt} was trained on gray images; drop --rgb to resume it")
    return {"size": size, "colour": colour}


def check_resumed(args: argparse.Namespace, ckpt: Path) -> None:
    """A resumed run keeps its codes: --codes may repeat them, not change them."""
    if args.codes is None:
        return
    recorded = load_file(ckpt)["config"]
    codes = parse_codes(args.codes)
    if list(codes["categorical"]) != list(recorded["categorical"]) or codes["continuous"] != recorded["continuous"]:
        was = format_codes(recorded["categorical"], recorded["continuous"])
        raise ValueError(
            f"--codes {args.codes}, but {ckpt} was trained with --codes {was}; a resumed run keeps its codes: drop "
            "--codes, or train a new run in another --out"
        )


def folder_images(dataset: str, size: int, colour: str) -> np.ndarray:
    """A folder run's training images (``data.folder.load_folder``), with one line saying what was read."""
    folder = folder_path(dataset)
    images = load_folder(folder, size, colour)  # (N, S, S) or (N, 3, S, S)
    print(f"{folder}: {len(images)} images, {size}x{size} {colour}; no labels, so no test accuracy")
    return images


def check_enough_images(images: np.ndarray, batch_size: int, dataset: str) -> None:
    """Refuse a folder with fewer images than one batch, saying which batch size would fit."""
    n = len(images)
    if is_folder_dataset(dataset) and n < batch_size:
        fits = 2 ** (n.bit_length() - 1)  # the largest power of two <= n
        raise ValueError(
            f"{folder_path(dataset)} holds {n} images, fewer than one batch of {batch_size}: add images, or train "
            f"a new run with a smaller batch, e.g. --set batch_size={fits}"
        )


def no_labels_message(ckpt: Path, dataset: str) -> str:
    """Why `eval` cannot score a run on data without class labels (a folder, CelebA), and what to look at instead."""
    return (
        f"{ckpt} was trained on {dataset}, which has no class labels, so there is no test accuracy to compute; look at "
        "what its codes learned in the explorer: infogan_edu.widgets.TraversalExplorer(model_from_checkpoint("
        "load_file(PATH)))"
    )


def eval_factors(path: Path, ckpt: dict, dataset: str) -> int:
    """`eval` of a run on a rendered data set (heads3d, chairs3d), whose images have known factors, not classes: Q
    read on the held-out renders (`load_rendered(..., "test")`) against them (`disentanglement.known_factor_scores`).
    Prints MIG, then each factor's MIG gap and best |Spearman rho| over the continuous codes; returns 0."""
    import torch

    from .data.datasets import load_rendered
    from .disentanglement import known_factor_scores
    from .pretrained import model_from_checkpoint

    images, factors = load_rendered(dataset, "test")
    model = model_from_checkpoint(ckpt, path)
    also = {"abs_azimuth": np.abs(factors["azimuth"])} if "azimuth" in factors else {}
    scores = known_factor_scores(model, torch.from_numpy(images), factors, also)
    lines = [
        f"checkpoint: {path} (step {ckpt['step']}, preset {ckpt['config'].get('preset')}), {len(images)} held-out "
        f"{dataset} images with known factors (no class labels, so no accuracy)",
        f"MIG against the true factors: {scores['mig']}",
        "factor: MIG gap, best |Spearman rho| of a continuous code (Q's mean)",
    ]
    for name, best in scores["best_abs_rho"].items():
        lines.append(f"  {name}: {scores['mig_per_factor'].get(name, '-')}, {best}")
    print("\n".join(lines))
    return 0
