"""SVHN, the Street View House Numbers (Netzer et al. 2011), as the InfoGAN paper uses it (Section 5, Figure 4):
the cropped 32x32 colour digits of "Format 2".

The published files are MATLAB files, ``train_32x32.mat`` (73,257 digits) and ``test_32x32.mat`` (26,032),
each with two arrays:

    X  (32, 32, 3, N) uint8   height, width, RGB channel, image number
    y  (N, 1)         uint8   the digit, with 10 standing for 0 (MATLAB counts from 1)

:func:`load_svhn` returns them in this library's layout, images (N, 3, 32, 32) and labels (N,) in 0..9, after
:mod:`.published` has found or downloaded the file and verified its SHA-256. scipy reads the files (a
dependency of infogan-edu, imported only here).
"""

from __future__ import annotations

import os

import numpy as np

from .published import DataFormatError, fetch

__all__ = ["SVHN_FILES", "SVHN_SPLITS", "load_svhn", "read_svhn_mat"]

SVHN_FILES = {"train": "train_32x32.mat", "test": "test_32x32.mat"}
SVHN_SPLITS = tuple(SVHN_FILES)


def _loadmat():
    try:
        from scipy.io import loadmat
    except ImportError:
        raise ImportError(
            "reading SVHN's .mat files needs scipy, which is not installed here: `pip install scipy` "
            "(or reinstall infogan-edu, which depends on it)"
        ) from None
    return loadmat


def read_svhn_mat(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 3, 32, 32) uint8 and labels (N,) uint8 in 0..9 from one SVHN .mat file.

    Raises DataFormatError, naming the file, when it is not a readable .mat file with SVHN's arrays.
    """
    loadmat = _loadmat()
    try:
        mat = loadmat(os.fspath(path))
    except Exception as exc:  # scipy raises ValueError, TypeError, OSError, MatReadError... for a damaged file
        raise DataFormatError(
            f"{path}: not a readable MATLAB file ({type(exc).__name__}: {str(exc)[:120]}); it is damaged: "
            "delete it and load again"
        ) from None
    x, y = mat.get("X"), mat.get("y")
    if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
        raise DataFormatError(f"{path}: a MATLAB file without SVHN's arrays 'X' and 'y' (it has {sorted(mat)})")
    if x.dtype != np.uint8 or x.ndim != 4 or x.shape[:3] != (32, 32, 3):
        raise DataFormatError(f"{path}: 'X' must be uint8 of shape (32, 32, 3, N), got {x.dtype} {x.shape}")
    y = y.reshape(-1)
    if y.shape[0] != x.shape[3] or not np.isin(y, np.arange(1, 11)).all():
        raise DataFormatError(f"{path}: 'y' must hold {x.shape[3]} digits 1..10 (10 for 0), got {y.dtype} {y.shape}")
    images = np.ascontiguousarray(x.transpose(3, 2, 0, 1))  # (32, 32, 3, N) -> (N, 3, 32, 32)
    labels = (y % 10).astype(np.uint8)  # 10 -> 0: the digit itself
    return images, labels


def load_svhn(
    split: str = "train",
    root: str | os.PathLike | None = None,
    *,
    download: bool = True,
    mirrors: list[str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """SVHN's cropped digits: uint8 images (N, 3, 32, 32) and labels (N,) in 0..9.

    Args:
        split: ``"train"`` (73,257 digits) or ``"test"`` (26,032).
        root: a folder searched first (``<root>/svhn/``) and used for downloads if writable.
        download: fetch the file when no local copy exists.
        mirrors: base URLs to fetch ``<mirror>/<file>`` from instead of the published address.

    Raises:
        ValueError: unknown ``split``.
        ChecksumError: a local file is not the published one.
        DataFormatError: the file cannot be read as SVHN's .mat file.
        DataNotFoundError: no local copy and no download.
    """
    if split not in SVHN_FILES:
        raise ValueError(f"unknown SVHN split {split!r}; valid splits are {', '.join(map(repr, SVHN_SPLITS))}")
    return read_svhn_mat(fetch("svhn", SVHN_FILES[split], root, download=download, mirrors=mirrors))
