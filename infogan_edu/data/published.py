"""Published data files of fixed content (SVHN's .mat files, CelebA's zip and lists): the table of their
SHA-256s, where a local copy is looked for, and the download.

Each file is found or fetched on its own, as one path (:func:`fetch`):

1. ``<root>/<name>/<file>`` (or ``<root>/<file>`` when ``root`` is the dataset's folder), for ``root=``;
2. ``$INFOGAN_EDU_DATA/<name>/<file>``, read only: nothing is ever written there;
3. the user cache, ``$INFOGAN_EDU_CACHE/<name>/<file>`` or ``pooch.os_cache("infogan_edu")/<name>/<file>``;
4. else a download, into ``<root>/<name>/`` when ``root=`` was given and is writable, else into the user cache.

Every file, local or downloaded, must have the size and SHA-256 in :data:`FILES` (hashed in chunks, so a
1.4 GB zip never sits in memory; the hash is remembered for the life of the process, keyed on the file's
path, inode, size and times). A download streams into a temporary name beside its target, is verified,
then renamed into place: a cut download or a wrong file (a login page instead of the zip) never lands under
the real name. A wrong file in the user cache, which holds only what this module downloaded, is fetched
again; a wrong file anywhere else is the user's, and is reported, never replaced.

Tests point :data:`FILES` at small files of the same formats served on 127.0.0.1, or pass ``mirrors=``:
base URLs from which ``<mirror>/<file>`` is fetched instead of the published addresses.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from .download import (
    DATA_ENV,
    ChecksumError,
    DataNotFoundError,
    cache_dir,
    download_attempt,
    download_verified,
    remove_if_empty,
    writable_folder,
)

__all__ = ["DataFormatError", "FILES", "PublishedFile", "fetch", "sha256_of"]

CHUNK = 1 << 20  # bytes hashed at a time (the download's timeout and progress bar: `download`)


class DataFormatError(ValueError):
    """A data file has the right name but not the expected format (a damaged .mat, a corrupt JPEG...)."""


@dataclass(frozen=True)
class PublishedFile:
    """One published file: its name on disk, size in bytes, SHA-256, and the addresses it is served from."""

    name: str
    size: int
    sha256: str
    urls: tuple[str, ...]


# Sizes and SHA-256s as tensorflow/datasets records them for its svhn_cropped and celeb_a builders
# (tensorflow_datasets/url_checksums/svhn_cropped.txt and celeb_a.txt, "<url> <size> <sha256>"); the Google
# Drive file ids are those of tensorflow_datasets/image/celeba.py (IMG_ALIGNED_DATA, ATTR_DATA, EVAL_LIST).
_SVHN = "http://ufldl.stanford.edu/housenumbers/"
_DRIVE = "https://drive.usercontent.google.com/download?export=download&confirm=t&id="
FILES: dict[str, dict[str, PublishedFile]] = {
    "svhn": {
        "train_32x32.mat": PublishedFile(
            "train_32x32.mat",
            182040794,
            "435e94d69a87fde4fd4d7f3dd208dfc32cb6ae8af2240d066de1df7508d083b8",
            (_SVHN + "train_32x32.mat",),
        ),
        "test_32x32.mat": PublishedFile(
            "test_32x32.mat",
            64275384,
            "cdce80dfb2a2c4c6160906d0bd7c68ec5a99d7ca4831afa54f09182025b6a75b",
            (_SVHN + "test_32x32.mat",),
        ),
    },
    "celeba": {
        "img_align_celeba.zip": PublishedFile(
            "img_align_celeba.zip",
            1443490838,
            "46fb89443c578308acf364d7d379fe1b9efb793042c0af734b6112e4fd3a8c74",
            (_DRIVE + "0B7EVK8r0v71pZjFTYXZWM3FlRnM",),
        ),
        "list_attr_celeba.txt": PublishedFile(
            "list_attr_celeba.txt",
            26721026,
            "f0e5da289d5ccf75ffe8811132694922b60f2af59256ed362afa03fefba324d0",
            (_DRIVE + "0B7EVK8r0v71pblRyaVFSWGxPY0U",),
        ),
        "list_eval_partition.txt": PublishedFile(
            "list_eval_partition.txt",
            2836386,
            "fc955bcb3ef8fbdf7d5640d9a8693a8431b5f2ee291a5c1449a1549e7e073fe7",
            (_DRIVE + "0B7EVK8r0v71pY0NSMzRuSXJEVkk",),
        ),
    },
}

# Where a person can download a file by hand when the addresses above fail (Google Drive often refuses CelebA).
HOMEPAGES = {
    "svhn": "http://ufldl.stanford.edu/housenumbers/ (the 'Format 2' cropped digits)",
    "celeba": "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html (Img/img_align_celeba.zip and Anno/, Eval/)",
}

# (resolved path, inode, size, mtime_ns, ctime_ns) -> SHA-256, for this process only.
_HASHES: dict[tuple[str, int, int, int, int], str] = {}


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in chunks; remembered while the file's size and times stay the same."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    if key not in _HASHES:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(CHUNK), b""):
                h.update(chunk)
        _HASHES[key] = h.hexdigest()
    return _HASHES[key]


def _problem(path: Path, expected: PublishedFile) -> str | None:
    """Why `path` is not the published file (None when it is): its size, then its SHA-256."""
    size = path.stat().st_size
    if size != expected.size:
        return f"it has {size:,} bytes, the published file {expected.size:,}"
    actual = sha256_of(path)
    if actual != expected.sha256:
        return f"its SHA-256 is {actual}, the published file's {expected.sha256}"
    return None


def _folders(name: str, root: str | os.PathLike | None) -> list[tuple[Path, str, bool]]:
    """(folder, where it came from, may downloads go there) in search order."""
    found = []
    if root is not None:
        root = Path(root).expanduser()
        is_own = root.name.lower() == name
        found.append((root / name, "root= argument", not is_own))
        if is_own:
            found.append((root, "root= argument", True))
    env = os.environ.get(DATA_ENV)
    if env:
        base = Path(env).expanduser()
        found += [(base / name, f"${DATA_ENV}", False)] + ([(base, f"${DATA_ENV}", False)] if base.name == name else [])
    found.append((cache_dir() / name, "user cache", True))
    return found


def _download(expected: PublishedFile, folder: Path, urls: list[str], errors: list[str]) -> Path | None:
    """Stream the file from the first address that serves the published bytes into `folder`; None if none does."""
    return download_verified(urls, folder, expected.name, lambda path: _problem(path, expected), errors)


def fetch(
    name: str,
    filename: str,
    root: str | os.PathLike | None = None,
    *,
    download: bool = True,
    mirrors: list[str] | None = None,
) -> Path:
    """The verified local path of one published file of dataset `name` (see the module docstring).

    Raises:
        ChecksumError: a local copy outside the user cache is not the published file.
        DataNotFoundError: no local copy, and no address served the published file (or download=False).
    """
    expected = FILES[name][filename]
    folders = _folders(name, root)
    errors: list[str] = []
    for folder, source, _ in folders:
        path = folder / filename
        if not path.is_file():
            continue
        problem = _problem(path, expected)
        if problem is None:
            return path
        if source != "user cache":
            raise ChecksumError(
                f"{path} is not the published {filename}: {problem}. The file is damaged or another one; "
                f"delete it (or copy a good one there), then load again."
            )
        errors.append(f"{path}: the cached copy is damaged ({problem}); fetching it again")
    urls = [m.rstrip("/") + "/" + filename for m in mirrors] if mirrors is not None else list(expected.urls)
    created: list[Path] = []
    target = None
    if download:
        target = next((f for f, _, ok in folders if ok and writable_folder(f, created)), None)
        if target is not None:
            fetched = _download(expected, target, urls, errors)
            if fetched is not None:
                return fetched
    remove_if_empty(created)
    lines = [f"{filename} of {name} is not on this machine and could not be downloaded. Looked in:"]
    lines += [f"  - {source}: {folder / filename}" for folder, source, _ in folders]
    if not os.environ.get(DATA_ENV):
        lines.append(f"  - ${DATA_ENV}: not set")
    lines += download_attempt(download, target, errors)
    lines.append(
        f"To fix it, download {filename} by hand from {HOMEPAGES[name]}, put it in <folder>/{name}/ and set "
        f"{DATA_ENV}=<folder> (or pass root=<folder>); or connect to the internet and try again."
    )
    raise DataNotFoundError("\n".join(lines)) from None
