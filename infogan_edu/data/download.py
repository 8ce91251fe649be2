"""Download MNIST-style files from public mirrors and verify them by SHA-256.

* :data:`SHA256` is the expected SHA-256 of each file's *uncompressed* bytes, so a re-compressed copy is
  accepted and a corrupted one is not.  :func:`read_verified` checks a local file against it before
  parsing it; a corrupt copy in the user cache (which holds only what this module downloaded) is fetched again from
  the mirrors, a corrupt file anywhere else is reported.  Hashing 47 MB takes a moment, so the result is
  remembered for the life of the process, keyed on (path, inode, size, modification and change times); nothing
  is written next to the data.
* :func:`cache_dir` is the user cache that downloads go to when no ``root=`` folder is writable:
  ``$INFOGAN_EDU_CACHE`` when that variable is set, else ``pooch.os_cache("infogan_edu")``.
* :func:`download_files` fetches files with ``pooch`` from the mirrors in :data:`MIRRORS`.  Each file
  goes to a temporary name, is verified, then renamed into place; a mirror that fails or serves a wrong
  file is skipped for the next one.  :func:`writable_folder` and :func:`remove_if_empty` make the target
  folder and clean it up again after a failed download.

Which folders are searched, and when a download happens at all, is decided in :mod:`.datasets`.
Tests override the mirrors and hashes by replacing :data:`MIRRORS` / :data:`SHA256` in this module,
or with the ``mirrors=`` argument of the loaders.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .idx import IDXFormatError, decompress_bytes, read_idx_bytes

__all__ = [
    "CACHE_ENV",
    "DATA_ENV",
    "MIRRORS",
    "SHA256",
    "ChecksumError",
    "DataNotFoundError",
    "cache_dir",
    "download_attempt",
    "download_files",
    "download_verified",
    "read_verified",
    "remove_if_empty",
    "writable_folder",
]

CACHE_ENV = "INFOGAN_EDU_CACHE"
DATA_ENV = "INFOGAN_EDU_DATA"  # a folder of local copies, searched before the cache and never written to

# SHA-256 of each file's uncompressed bytes (header + payload). The files they were computed from have the MD5s
# that are widely published for the official uncompressed files (tests/test_data_datasets.py, PUBLISHED_MD5),
# so these hashes describe the official content, whatever the gzip container.
SHA256: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
}

# Public mirrors, tried in order; a file is fetched from "<mirror><file name>".
MIRRORS: dict[str, list[str]] = {
    "mnist": [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ],
    "fashion-mnist": [
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ],
}

PROGRESSBAR = True  # show pooch's tqdm bar while downloading
TIMEOUT_S = 30.0  # per HTTP request

# (resolved path, inode, size, mtime_ns, ctime_ns) -> SHA-256 of the uncompressed bytes, for this process only.
_HASH_CACHE: dict[tuple[str, int, int, int, int], str] = {}


class ChecksumError(ValueError):
    """A data file's uncompressed bytes do not have the expected SHA-256."""


class DataNotFoundError(FileNotFoundError):
    """No local copy of a dataset was found and it could not be downloaded."""


def cache_dir() -> Path:
    """The user cache folder for downloads: ``$INFOGAN_EDU_CACHE`` or ``pooch.os_cache("infogan_edu")``."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    import pooch  # imported lazily: only needed to locate the cache or download

    return Path(pooch.os_cache("infogan_edu")).expanduser()


# --- verification ------------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_checked(path: Path, expected_sha256: str) -> np.ndarray:
    """Read an IDX file, check the SHA-256 of its uncompressed bytes, and parse it."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    data = decompress_bytes(path.read_bytes(), str(path))  # the whole path: the user may need to delete it
    actual = _HASH_CACHE.get(key)
    if actual is None:
        actual = _HASH_CACHE[key] = _sha256(data)
    if actual != expected_sha256:
        raise ChecksumError(
            f"{path}: the SHA-256 of its uncompressed content is {actual}, expected {expected_sha256}; "
            f"the file is corrupt or not the right one. Delete it and download it again "
            f"(or copy a good one there)."
        )
    return read_idx_bytes(data, path.name)


def _cached_download(path: Path, expected_sha256: str) -> tuple[str, str] | None:
    """(dataset, file name) when ``path`` is a file this library downloaded into the user cache, else None."""
    try:
        in_cache = path.resolve().parent.parent == cache_dir().resolve()
    except OSError:
        return None
    name, filename = path.parent.name, path.name if path.name.endswith(".gz") else path.name + ".gz"
    if in_cache and SHA256.get(name, {}).get(filename) == expected_sha256:
        return name, filename
    return None


def read_verified(path: Path, expected_sha256: str, mirrors: list[str] | None = None) -> np.ndarray:
    """Read an IDX file, check the SHA-256 of its uncompressed bytes, and parse it.

    A corrupt copy in the user cache (:func:`cache_dir`, which holds only what this library downloaded) is
    fetched again from ``mirrors`` (default ``MIRRORS[dataset]``) and replaced atomically; a corrupt file
    anywhere else is the user's, so it is only reported.
    """
    try:
        return _read_checked(path, expected_sha256)
    except (ChecksumError, IDXFormatError) as exc:
        owned = _cached_download(path, expected_sha256)
        if owned is None:
            raise
        name, filename = owned
        errors: list[str] = []
        urls = list(MIRRORS[name] if mirrors is None else mirrors)
        fetched = _download_file(name, filename, path.parent, urls, errors)
        if fetched is None:
            tried = "; ".join(errors) or "no mirrors are configured"
            raise type(exc)(
                f"{exc} It is in the user cache, so it was fetched again, but no mirror served a good copy "
                f"({tried}). Delete it and load again when online."
            ) from None
        if fetched != path:
            path.unlink(missing_ok=True)  # the uncompressed-name copy, now replaced by the .gz download
        return _read_checked(fetched, expected_sha256)


# --- download --------------------------------------------------------------------------------


def _short_error(exc: BaseException) -> str:
    """A one-line summary of a download failure (no nested reprs from urllib3)."""
    response = getattr(exc, "response", None)
    if response is not None and getattr(response, "status_code", None) is not None:
        return f"HTTP {response.status_code} {response.reason or ''}".strip()
    if "Timeout" in type(exc).__name__:
        return f"timed out after {TIMEOUT_S:g} s"
    text = str(exc)
    errno = re.search(r"\[Errno -?\d+\] [^'\")\]]+", text)
    if errno:
        return errno.group(0).strip()
    first = text.splitlines()[0] if text else ""
    if len(first) > 120:
        first = first[:117] + "..."
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def download_attempt(download: bool, target: Path | None, errors: list[str]) -> list[str]:
    """The lines of a not-found message that say what became of the download: switched off, no writable folder,
    or the addresses tried and why each failed."""
    if not download:
        return ["Downloading was switched off (download=False)."]
    if target is None:
        return ["Found no writable folder to download into (root= and the user cache are read-only)."]
    return [f"Tried to download into {target} from:", *(f"  - {err}" for err in errors)]


def download_verified(
    urls: list[str], folder: Path, filename: str, problem: Callable[[Path], str | None], errors: list[str]
) -> Path | None:
    """Download ``filename`` into ``folder`` from the first of ``urls`` that serves good bytes.

    Each download streams into a temporary name beside its target; ``problem(path)`` says what is wrong with it
    (``None``: nothing), and only a good file is renamed into place, so a cut download or a wrong file never lands
    under the real name. Appends one line per failed address to ``errors``; returns the final path or ``None``.
    """
    import pooch  # lazily: only a download needs it

    for url in urls:
        tmp = folder / f".{filename}.{secrets.token_hex(4)}.part"
        try:
            pooch.HTTPDownloader(progressbar=PROGRESSBAR, chunk_size=1 << 16, timeout=TIMEOUT_S)(url, str(tmp), None)
            wrong = problem(tmp)
            if wrong is not None:
                errors.append(f"{url}: wrong content ({wrong})")
                continue
            final = folder / filename
            os.replace(tmp, final)
            return final
        except Exception as exc:  # any failure of one address means: try the next one
            errors.append(f"{url}: {_short_error(exc)}")
        finally:
            tmp.unlink(missing_ok=True)
    return None


def _download_file(name: str, filename: str, folder: Path, mirrors: list[str], errors: list[str]) -> Path | None:
    """Download ``filename`` of dataset ``name`` from the first mirror whose copy has the expected SHA-256 (of
    the uncompressed payload)."""
    expected = SHA256[name][filename]

    def problem(path: Path) -> str | None:
        actual = _sha256(decompress_bytes(path.read_bytes(), filename))
        return None if actual == expected else f"SHA-256 {actual[:16]}..., expected {expected[:16]}..."

    return download_verified([m.rstrip("/") + "/" + filename for m in mirrors], folder, filename, problem, errors)


def download_files(
    name: str, filenames: list[str], folder: Path, mirrors: list[str] | None, errors: list[str]
) -> None:
    """Download each of ``filenames`` of dataset ``name`` into ``folder``, stopping at the first that fails.

    ``mirrors`` replaces ``MIRRORS[name]`` when given.  Appends one line per failed mirror to ``errors``.
    """
    urls = list(MIRRORS[name] if mirrors is None else mirrors)
    for filename in filenames:
        if _download_file(name, filename, folder, urls, errors) is None:
            break


def _created_folders(folder: Path) -> list[Path]:
    """The folders that ``folder.mkdir(parents=True)`` would create, deepest first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


def writable_folder(folder: Path, created: list[Path]) -> bool:
    """Create ``folder`` if needed (recording new folders in ``created``); is it writable?"""
    new = _created_folders(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    created += new
    return os.access(folder, os.W_OK)


def remove_if_empty(folders: list[Path]) -> None:
    """Remove the folders :func:`writable_folder` created for a download that failed (deepest first)."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return
