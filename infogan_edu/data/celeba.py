"""CelebA (Liu et al. 2015), as the InfoGAN paper uses it (Section 5, Figure 5): 202,599 aligned celebrity faces,
here as 32x32 RGB images, with their 40 binary attributes.

Three published files, found or downloaded and verified by SHA-256 in :mod:`.published`:

* ``img_align_celeba.zip``: ``img_align_celeba/000001.jpg`` ... ``202599.jpg``, each 178 x 218 (w x h) RGB,
  aligned so that the eyes sit at the same height;
* ``list_attr_celeba.txt``: the number of images, a line of 40 attribute names, then one line per image,
  ``000001.jpg -1 1 1 -1 ...`` (1: the face has the attribute, -1: it has not);
* ``list_eval_partition.txt``: ``000001.jpg 0``, the official split of each image (0 train, 1 valid, 2 test).

From 178 x 218 to 32 x 32: the centre 108 x 108 square (columns 35..142, rows 55..162: the face, without most
of the hair and background), then an area average down to 32 x 32 (PIL's BOX filter: each output pixel is the
mean of the 3.375 x 3.375 input pixels it covers). The 108-pixel centre crop is the one DCGAN-style CelebA code
commonly uses before resizing; the paper does not say which crop it used.

Decoding the 202,599 JPEGs takes minutes, so the result, all images in the attribute file's order (622 MB), is
cached in the user cache as ``celeba/<recipe>-<zip hash>.npy``, with ``<file>.sha256`` beside it (the SHA-256
of the bytes written, ``sha256sum`` format). A load hashes the cached file and compares it with its sidecar; a
file that fails, or a half-written one, is decoded again from the zip, with a warning, and replaced. Once the
cache exists, the zip itself is no longer needed.
"""

from __future__ import annotations

import io
import os
import secrets
import warnings
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np

from .download import cache_dir, writable_folder
from .published import FILES, DataFormatError, fetch, sha256_of

__all__ = [
    "CELEBA_ATTRIBUTES",
    "CELEBA_SPLITS",
    "CROP",
    "celeba_cache_path",
    "celeba_image",
    "load_celeba",
    "read_attributes",
    "read_partition",
]

CELEBA_SPLITS = ("train", "valid", "test", "all")
_PARTITION = {"train": 0, "valid": 1, "test": 2}
SOURCE_SIZE = (178, 218)  # (width, height) of every aligned image
CROP = 108  # side of the centre square kept
SIZE = 32  # side of the images returned
RECIPE = f"img_align_celeba-crop{CROP}-box{SIZE}-v1"  # names the cache file: change it when the recipe changes

# The 40 attribute names, in the published file's order (its second line; as tensorflow_datasets/image/celeba.py
# lists them, ATTR_HEADINGS).
_ATTRIBUTE_LINE = (
    "5_o_Clock_Shadow Arched_Eyebrows Attractive Bags_Under_Eyes Bald Bangs Big_Lips Big_Nose Black_Hair "
    "Blond_Hair Blurry Brown_Hair Bushy_Eyebrows Chubby Double_Chin Eyeglasses Goatee Gray_Hair Heavy_Makeup "
    "High_Cheekbones Male Mouth_Slightly_Open Mustache Narrow_Eyes No_Beard Oval_Face Pale_Skin Pointy_Nose "
    "Receding_Hairline Rosy_Cheeks Sideburns Smiling Straight_Hair Wavy_Hair Wearing_Earrings Wearing_Hat "
    "Wearing_Lipstick Wearing_Necklace Wearing_Necktie Young"
)
CELEBA_ATTRIBUTES = tuple(_ATTRIBUTE_LINE.split())


# --- the two lists ---------------------------------------------------------------------------------


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="ascii").splitlines()
    except UnicodeDecodeError:
        raise DataFormatError(f"{path}: not a plain-text CelebA list (non-ASCII bytes)") from None


def read_attributes(path: str | os.PathLike) -> tuple[list[str], np.ndarray]:
    """The image names and their attributes, uint8 (N, 40) in {0, 1}, from ``list_attr_celeba.txt``."""
    path = Path(path)
    lines = _lines(path)
    if len(lines) < 2 or not lines[0].strip().isdigit():
        raise DataFormatError(f"{path}: expected the image count on line 1 and the attribute names on line 2")
    if tuple(lines[1].split()) != CELEBA_ATTRIBUTES:
        raise DataFormatError(f"{path}: line 2 is not CelebA's 40 attribute names")
    rows = [line.split() for line in lines[2:] if line.strip()]
    if len(rows) != int(lines[0]) or any(len(r) != 41 for r in rows):
        raise DataFormatError(
            f"{path}: line 1 announces {int(lines[0])} images, then {len(rows)} lines follow, each of which must be "
            "a file name and 40 values"
        )
    names = [r[0] for r in rows]
    try:
        values = np.array([r[1:] for r in rows], dtype=np.int8).reshape(len(rows), 40)  # (N, 40)
    except ValueError:
        raise DataFormatError(f"{path}: an attribute value is not an integer") from None
    if not np.isin(values, (-1, 1)).all():
        raise DataFormatError(f"{path}: every attribute value must be 1 or -1")
    return names, (values == 1).astype(np.uint8)


def read_partition(path: str | os.PathLike) -> dict[str, int]:
    """Image name -> official split (0 train, 1 valid, 2 test), from ``list_eval_partition.txt``."""
    path = Path(path)
    out = {}
    for n, line in enumerate(_lines(path), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2 or parts[1] not in ("0", "1", "2"):
            raise DataFormatError(f"{path}, line {n}: expected '<image name> 0|1|2', got {line[:60]!r}")
        out[parts[0]] = int(parts[1])
    return out


# --- the images ------------------------------------------------------------------------------------


def celeba_image(jpeg: bytes, where: str = "image") -> np.ndarray:
    """One aligned CelebA JPEG (178 x 218) as uint8 (3, 32, 32): the centre 108 x 108 square, area-averaged."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(jpeg)) as img:
            img.load()  # decodes now: a cut or damaged JPEG fails here, not later
            rgb = img.convert("RGB")
    except (OSError, ValueError, SyntaxError) as exc:  # PIL's UnidentifiedImageError is an OSError
        raise DataFormatError(
            f"{where}: not a readable JPEG ({exc}); the zip is damaged: delete it and load again"
        ) from None
    if rgb.size != SOURCE_SIZE:
        raise DataFormatError(f"{where}: {rgb.size[0]} x {rgb.size[1]} pixels, but aligned CelebA images are 178 x 218")
    left, top = (SOURCE_SIZE[0] - CROP) // 2, (SOURCE_SIZE[1] - CROP) // 2  # (35, 55)
    face = rgb.crop((left, top, left + CROP, top + CROP)).resize((SIZE, SIZE), Image.Resampling.BOX)
    return np.asarray(face).transpose(2, 0, 1)  # (32, 32, 3) -> (3, 32, 32)


def _decode(zip_path: Path, names: list[str], progress: bool) -> np.ndarray:
    """Every image of `names`, in that order, from the zip: uint8 (N, 3, 32, 32)."""
    from tqdm.auto import tqdm

    out = np.empty((len(names), 3, SIZE, SIZE), np.uint8)
    try:
        with zipfile.ZipFile(zip_path) as archive:
            members = {PurePosixPath(m).name: m for m in archive.namelist() if m.lower().endswith(".jpg")}
            missing = [n for n in names if n not in members]
            if missing:
                raise DataFormatError(
                    f"{zip_path}: {len(missing)} images of the attribute list are not in the zip (e.g. {missing[0]})"
                )
            for i, name in enumerate(tqdm(names, desc="decoding CelebA", unit="image", disable=not progress)):
                where = f"{zip_path}: {members[name]}"
                try:
                    jpeg = archive.read(members[name])  # checks the entry's CRC-32
                except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
                    raise DataFormatError(
                        f"{where}: damaged in the zip ({exc}); delete the zip and load again"
                    ) from None
                out[i] = celeba_image(jpeg, where)
    except zipfile.BadZipFile as exc:
        raise DataFormatError(f"{zip_path}: not a readable zip file ({exc}); delete it and load again") from None
    return out


# --- the decoded cache -----------------------------------------------------------------------------


def celeba_cache_path() -> Path:
    """Where the decoded 32x32 images are cached (its sidecar adds ``.sha256``)."""
    zip_sha = FILES["celeba"]["img_align_celeba.zip"].sha256
    return cache_dir() / "celeba" / f"{RECIPE}-{zip_sha[:16]}.npy"


def _read_cache(path: Path, n: int) -> np.ndarray | None:
    """The cached images, or None (with a warning when a file is there but cannot be used)."""
    if not path.is_file():
        return None
    sidecar = path.with_name(path.name + ".sha256")
    try:
        expected = sidecar.read_text().split()[0]
    except (OSError, IndexError):
        expected = None
    if expected is None or sha256_of(path) != expected:
        warnings.warn(f"{path}: missing or wrong SHA-256 sidecar; decoding CelebA again", stacklevel=3)
        return None
    try:
        images = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        warnings.warn(f"{path}: unreadable ({exc}); decoding CelebA again", stacklevel=3)
        return None
    if images.dtype != np.uint8 or images.shape != (n, 3, SIZE, SIZE):
        warnings.warn(f"{path}: holds {images.dtype} {images.shape}, not {n} images; decoding again", stacklevel=3)
        return None
    return images


def _write_cache(path: Path, images: np.ndarray) -> None:
    """The array, then its sidecar, each to a temporary name first and then renamed into place."""
    if not writable_folder(path.parent, []):
        warnings.warn(f"{path.parent} is not writable: the decoded CelebA images are not cached", stacklevel=3)
        return
    tag = secrets.token_hex(4)
    tmp = path.with_name(f".{path.name}.{tag}.part")
    tmp_sidecar = path.with_name(f".{path.name}.sha256.{tag}.part")
    try:
        with open(tmp, "wb") as f:
            np.save(f, images, allow_pickle=False)
        tmp_sidecar.write_text(f"{sha256_of(tmp)}  {path.name}\n")
        os.replace(tmp, path)
        os.replace(tmp_sidecar, path.with_name(path.name + ".sha256"))
    except OSError as exc:
        warnings.warn(f"could not cache the decoded CelebA images in {path.parent} ({exc})", stacklevel=3)
    finally:
        tmp.unlink(missing_ok=True)
        tmp_sidecar.unlink(missing_ok=True)


def load_celeba(
    split: str = "all",
    root: str | os.PathLike | None = None,
    *,
    download: bool = True,
    mirrors: list[str] | None = None,
    progress: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """CelebA's aligned faces as uint8 images (N, 3, 32, 32) and their attributes, uint8 (N, 40) in {0, 1}
    (column j is `CELEBA_ATTRIBUTES[j]`).

    Args:
        split: ``"all"`` (202,599 images, what InfoGAN trains on), or the official ``"train"`` (162,770),
            ``"valid"`` (19,867) or ``"test"`` (19,962).
        root: a folder searched first (``<root>/celeba/``) and used for downloads if writable.
        download: fetch missing files when no local copy exists.
        mirrors: base URLs to fetch ``<mirror>/<file>`` from instead of the published addresses.
        progress: a progress bar while the JPEGs are decoded (the first load only).

    Raises:
        ValueError: unknown ``split``.
        ChecksumError: a local file is not the published one.
        DataFormatError: a list cannot be parsed, or an image in the zip cannot be decoded.
        DataNotFoundError: a file has no local copy and could not be downloaded.
    """
    if split not in CELEBA_SPLITS:
        raise ValueError(f"unknown CelebA split {split!r}; valid splits are {', '.join(map(repr, CELEBA_SPLITS))}")
    names, attributes = read_attributes(
        fetch("celeba", "list_attr_celeba.txt", root, download=download, mirrors=mirrors)
    )
    cache = celeba_cache_path()
    images = _read_cache(cache, len(names))
    if images is None:
        zip_path = fetch("celeba", "img_align_celeba.zip", root, download=download, mirrors=mirrors)
        images = _decode(zip_path, names, progress)
        _write_cache(cache, images)
    if split == "all":
        return images, attributes
    partition = read_partition(fetch("celeba", "list_eval_partition.txt", root, download=download, mirrors=mirrors))
    missing = [n for n in names if n not in partition]
    if missing:
        raise DataFormatError(f"list_eval_partition.txt has no split for {len(missing)} images (e.g. {missing[0]})")
    keep = np.array([partition[n] == _PARTITION[split] for n in names])  # (N,) bool
    return images[keep], attributes[keep]
