"""MNIST and Fashion-MNIST: the dataset tables, where a local copy is looked for, and loading a split.

Where the files are looked for, in this order (see :func:`candidate_dirs`):

1. the ``root=`` argument: ``<root>/<name>/`` (or ``<root>`` itself when its folder name is the
   dataset name, e.g. ``root="data/mnist"``);
2. the environment variable ``INFOGAN_EDU_DATA``: ``$INFOGAN_EDU_DATA/<name>/``.  This folder may
   be read-only (CI points it at a shared copy): nothing is ever written there;
3. the user cache: ``$INFOGAN_EDU_CACHE/<name>/`` when that variable is set, else
   ``pooch.os_cache("infogan_edu")/<name>/`` (``~/.cache/infogan_edu`` on Linux);
4. system folders from :data:`SYSTEM_DIRS`: Debian's ``dataset-fashion-mnist`` package puts the
   four files directly in ``/usr/share/datasets/fashion-mnist``.

Each folder must hold the split's two files, either gzip-compressed (``train-images-idx3-ubyte.gz``)
or plain (``train-images-idx3-ubyte``).  A local copy anywhere is preferred over a download.

Every file is verified by the SHA-256 of its *uncompressed* bytes when it is loaded.  When no
local copy exists the files are downloaded into ``<root>/<name>/`` if ``root=`` was given and is
writable, else into the user cache.  The hashes, the mirrors, the verification and the download
itself are in :mod:`.download`.

Tests override the locations with the environment variables above or by replacing
:data:`SYSTEM_DIRS` here (the mirrors: see :mod:`.download`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .celeba import load_celeba
from .download import (
    DATA_ENV,
    SHA256,
    DataNotFoundError,
    cache_dir,
    download_attempt,
    download_files,
    read_verified,
    remove_if_empty,
    writable_folder,
)
from .idx import IDXFormatError
from .render3d import CHAIR_FACTORS, HEAD_FACTORS, load_chairs, load_heads
from .svhn import load_svhn

__all__ = [
    "CLASS_COUNTS",
    "CLASS_NAMES",
    "CLASS_LABELLED",
    "COLOUR_DATASETS",
    "DATASETS",
    "DATA_ENV",
    "SPLITS",
    "SPLIT_FILES",
    "SYSTEM_DIRS",
    "DataLocation",
    "DataNotFoundError",
    "available_datasets",
    "candidate_dirs",
    "find_dataset",
    "load_dataset",
    "has_class_labels",
    "load_fashion_mnist",
    "load_mnist",
    "load_rendered",
    "RENDERED_DATASETS",
    "RENDERED_SPLITS",
]

DATASETS = ("mnist", "fashion-mnist")
# 32x32 RGB data sets with their own loaders: load_dataset(name, split) returns their images (N, 3, 32, 32) and
# their labels (SVHN: the digit, (N,); CelebA: the 40 attributes, (N, 40)).
COLOUR_DATASETS = {"svhn": load_svhn, "celeba": load_celeba}
# The rendered 32x32 gray heads and chairs of `render3d`, with known factors instead of class labels: name ->
# (loader, factor names). Each split is a fixed set, rendered once and cached: (number of images, seed of its
# factors). "train" (also "all") is what a run trains on; "test" is held out, drawn with another seed, to score Q's
# codes against the true factors.
RENDERED_DATASETS = {"heads3d": (load_heads, tuple(HEAD_FACTORS)), "chairs3d": (load_chairs, tuple(CHAIR_FACTORS))}
RENDERED_SPLITS = {"train": (50_000, 0), "all": (50_000, 0), "test": (10_000, 1)}
# The data sets whose test labels are classes that a categorical code can be scored against (CelebA's are 40
# attributes, the rendered sets' are factors; a folder has none): the others train on every image, no test accuracy.
CLASS_LABELLED = (*DATASETS, "svhn")


def load_rendered(name: str, split: str = "train") -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A rendered data set (`RENDERED_DATASETS`) as uint8 images (N, 32, 32) and its factors, {name: (N,)}
    (float32; a chair's style int64), rendered on first use and then read from the user cache (`render3d`)."""
    if split not in RENDERED_SPLITS:
        raise ValueError(f"unknown split {split!r} of {name}; valid splits are {', '.join(map(repr, RENDERED_SPLITS))}")
    if name not in RENDERED_DATASETS:
        raise ValueError(f"unknown rendered data set {name!r}; valid names are {', '.join(RENDERED_DATASETS)}")
    loader, _ = RENDERED_DATASETS[name]
    n, seed = RENDERED_SPLITS[split]
    images, factors = loader(n=n, seed=seed)  # uint8 (n, 32, 32), {factor: (n,)}
    return images.numpy(), {k: v.numpy() for k, v in factors.items()}


def has_class_labels(name: str) -> bool:
    """True when `name`'s test split has class labels (its runs get a test accuracy)."""
    return name in CLASS_LABELLED
SPLITS = ("train", "test")
SPLIT_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
ALL_FILES = SPLIT_FILES["train"] + SPLIT_FILES["test"]

# Folders that hold the four files directly (no "<name>/" sub-folder), e.g. from an OS package.
SYSTEM_DIRS: dict[str, list[str]] = {
    "mnist": [],
    "fashion-mnist": ["/usr/share/datasets/fashion-mnist"],
}

CLASS_NAMES: dict[str, tuple[str, ...]] = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion-mnist": (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
}

# Official number of examples per class (labels 0..9).
CLASS_COUNTS: dict[str, dict[str, tuple[int, ...]]] = {
    "mnist": {
        "train": (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949),
        "test": (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009),
    },
    "fashion-mnist": {"train": (6000,) * 10, "test": (1000,) * 10},
}

_PRETTY = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}


@dataclass(frozen=True)
class DataLocation:
    """One folder where a dataset's files may be.

    Attributes:
        folder: the folder that directly holds the IDX files.
        source: where the folder came from (``"root= argument"``, ``"$INFOGAN_EDU_DATA"``,
            ``"user cache"`` or ``"system folder"``), for messages.
        download_target: whether downloads may be written here (never for ``$INFOGAN_EDU_DATA``
            or system folders).
    """

    folder: Path
    source: str
    download_target: bool


# --- where to look ---------------------------------------------------------------------------


def _check_name(name: str) -> str:
    key = name.strip().lower().replace("_", "-")
    if key not in DATASETS:
        folder = key.startswith("folder:")
        hint = ": a folder has no labels nor test split; read it with load_folder(PATH)" if folder else ""
        valid = ", ".join(map(repr, DATASETS + tuple(COLOUR_DATASETS) + tuple(RENDERED_DATASETS)))
        raise ValueError(f"unknown dataset {name!r}; valid names are {valid}{hint}")
    return key


def _check_split(split: str) -> str:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; valid splits are {', '.join(map(repr, SPLITS))}")
    return split


def _under_root(root: Path, name: str) -> list[Path]:
    """``<root>/<name>``, plus ``<root>`` itself when it is already the dataset's folder."""
    folders = [root / name]
    if root.name.lower() == name:
        folders.append(root)
    return folders


def _explicit_dirs(name: str, root: str | os.PathLike | None) -> list[DataLocation]:
    """The folders the caller named: the ``root=`` argument, then ``$INFOGAN_EDU_DATA``."""
    found: list[DataLocation] = []
    if root is not None:
        root_dirs = _under_root(Path(root).expanduser(), name)
        # Downloads go to <root>/<name>, or to <root> itself when it is the dataset's folder.
        found += [DataLocation(f, "root= argument", f == root_dirs[-1]) for f in root_dirs]
    env_root = os.environ.get(DATA_ENV)
    if env_root:
        env_dirs = _under_root(Path(env_root).expanduser(), name)
        found += [DataLocation(f, f"${DATA_ENV}", False) for f in env_dirs]
    return found


def candidate_dirs(name: str, root: str | os.PathLike | None = None) -> list[DataLocation]:
    """Every folder searched for dataset ``name``, in search order (root, env, cache, system)."""
    name = _check_name(name)
    found = _explicit_dirs(name, root)
    found.append(DataLocation(cache_dir() / name, "user cache", True))
    found += [DataLocation(Path(d), "system folder", False) for d in SYSTEM_DIRS.get(name, [])]
    return found


def _local_file(folder: Path, filename: str) -> Path | None:
    """The file in ``folder`` under its ``.gz`` name or its uncompressed name, if present."""
    for candidate in (folder / filename, folder / filename.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def _missing(folder: Path, filenames: tuple[str, ...]) -> list[str]:
    return [f for f in filenames if _local_file(folder, f) is None]


def find_dataset(name: str, root: str | os.PathLike | None = None) -> Path | None:
    """The first folder (in search order) that holds all four files of ``name``, without downloading.

    Only checks that the files exist; they are verified when loaded.
    """
    for location in candidate_dirs(name, root):
        if not _missing(location.folder, ALL_FILES):
            return location.folder
    return None


def available_datasets(root: str | os.PathLike | None = None) -> dict[str, str | None]:
    """Map each dataset name to the folder it would be loaded from, or ``None`` (never downloads)."""
    result: dict[str, str | None] = {}
    for name in DATASETS:
        folder = find_dataset(name, root)
        result[name] = None if folder is None else str(folder)
    return result


# --- when nothing is found ------------------------------------------------------------------


def _describe(location: DataLocation, filenames: tuple[str, ...]) -> str:
    folder = location.folder
    if not folder.is_dir():
        state = "folder does not exist"
    else:
        state = "missing " + ", ".join(_missing(folder, filenames))
    return f"{location.source}: {folder} ({state})"


def _not_found_message(
    name: str,
    split: str,
    locations: list[DataLocation],
    target: Path | None,
    mirror_errors: list[str],
    download: bool,
) -> str:
    pretty = _PRETTY[name]
    files = SPLIT_FILES[split]
    lines = [f"{pretty} ({split} split) is not on this machine and could not be downloaded."]
    lines.append(f"Looked for {' and '.join(files)} (or the same names without .gz) in:")
    env_set = bool(os.environ.get(DATA_ENV))
    for loc in locations:
        if loc.source == "user cache" and not env_set:
            lines.append(f"  - ${DATA_ENV}: not set")
        lines.append(f"  - {_describe(loc, files)}")
    lines += download_attempt(download, target, mirror_errors)
    lines += [
        "To fix it, do one of these:",
        f"  - set {DATA_ENV} to a folder that contains {name}/ with the four files {', '.join(ALL_FILES)};",
        f"  - pass root=<folder>, with the files in <folder>/{name}/;",
        "  - connect to the internet and try again.",
    ]
    return "\n".join(lines)


# --- loading ---------------------------------------------------------------------------------


def _locate_or_download(
    name: str, split: str, root: str | os.PathLike | None, download: bool, mirrors: list[str] | None
) -> Path:
    """The folder holding the split's two files: the first local one, else a fresh download."""
    files = SPLIT_FILES[split]
    # the folders the caller named come first, and need no user-cache lookup (so no pooch) when they hold the files
    named = _explicit_dirs(name, root)
    folder = next((loc.folder for loc in named if not _missing(loc.folder, files)), None)
    if folder is not None:
        return folder
    locations = candidate_dirs(name, root)  # the named folders again, then the user cache and system folders
    folder = next((loc.folder for loc in locations[len(named) :] if not _missing(loc.folder, files)), None)
    if folder is not None:
        return folder
    target = None
    errors: list[str] = []
    created: list[Path] = []
    if download:
        targets = (loc.folder for loc in locations if loc.download_target)
        target = next((f for f in targets if writable_folder(f, created)), None)
    if target is not None:
        download_files(name, _missing(target, files), target, mirrors, errors)
        if not _missing(target, files):
            return target
    remove_if_empty(created)
    message = _not_found_message(name, split, locations, target, errors, download)
    raise DataNotFoundError(message) from None



def load_dataset(
    name: str,
    split: str = "train",
    root: str | os.PathLike | None = None,
    *,
    download: bool = True,
    mirrors: list[str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Load one split of MNIST or Fashion-MNIST as numpy arrays (SVHN and CelebA: see `COLOUR_DATASETS`; the
    rendered heads3d and chairs3d: images (N, 32, 32) and their factors, float32 (N, K), see `load_rendered`).

    Args:
        name: ``"mnist"`` or ``"fashion-mnist"``.
        split: ``"train"`` (60,000 examples) or ``"test"`` (10,000 examples).
        root: a folder searched first (``<root>/<name>/``) and used for downloads if writable.
        download: fetch missing files from the mirrors when no local copy exists.
        mirrors: base URLs to use instead of ``MIRRORS[name]``.

    Returns:
        ``(images, labels)``: uint8 arrays of shape (N, 28, 28) and (N,).

    Raises:
        ValueError: unknown ``name`` or ``split``.
        ChecksumError: a local file does not have the expected content.
        IDXFormatError: a local file is truncated or malformed.
        DataNotFoundError: no local copy and no mirror could provide one.
    """
    if isinstance(name, str) and name.strip().lower() in COLOUR_DATASETS:
        return COLOUR_DATASETS[name.strip().lower()](split, root, download=download, mirrors=mirrors)
    if isinstance(name, str) and name.strip().lower() in RENDERED_DATASETS:  # rendered here: no files, no download
        images, factors = load_rendered(name.strip().lower(), split)
        return images, np.stack([f.astype(np.float32) for f in factors.values()], axis=1)  # (N, 32, 32), (N, K)
    name = _check_name(name)
    split = _check_split(split)
    files = SPLIT_FILES[split]
    folder = _locate_or_download(name, split, root, download, mirrors)
    images_path, labels_path = (_local_file(folder, f) for f in files)
    assert images_path is not None and labels_path is not None
    images = read_verified(images_path, SHA256[name][files[0]])  # (N, 28, 28)
    labels = read_verified(labels_path, SHA256[name][files[1]])  # (N,)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise IDXFormatError(f"{images_path}: expected uint8 images of shape (N, 28, 28), got {images.shape}")
    if labels.dtype != np.uint8 or labels.shape != images.shape[:1]:
        raise IDXFormatError(
            f"{labels_path}: expected {images.shape[0]} uint8 labels, got {labels.dtype} {labels.shape}"
        )
    return images, labels


def load_mnist(
    split: str = "train", root: str | os.PathLike | None = None, **kwargs
) -> tuple[np.ndarray, np.ndarray]:
    """Load MNIST digits: uint8 images (N, 28, 28) and labels (N,); see :func:`load_dataset`."""
    return load_dataset("mnist", split, root, **kwargs)


def load_fashion_mnist(
    split: str = "train", root: str | os.PathLike | None = None, **kwargs
) -> tuple[np.ndarray, np.ndarray]:
    """Load Fashion-MNIST: uint8 images (N, 28, 28) and labels (N,); see :func:`load_dataset`."""
    return load_dataset("fashion-mnist", split, root, **kwargs)
