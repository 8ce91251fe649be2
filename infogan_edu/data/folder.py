"""A folder of your own PNG or JPEG images as an unlabelled training set: square crops of one size, gray or RGB.

    images = load_folder("~/photos", size=64, colour="gray")  # uint8 (N, 64, 64); colour="rgb": (N, 3, 64, 64)

What is read, and how:

* **Which files**: every file under the folder whose name ends in ``.png``, ``.jpg`` or ``.jpeg`` (any case),
  sub-folders included (recursive: photo collections are often sorted into sub-folders, and InfoGAN needs no
  labels, so the sub-folders only add images). Names that start with a dot (``.ipynb_checkpoints/``, macOS's
  ``._photo.jpg``) are skipped, other files are ignored, links to folders are not followed. The order is the sorted
  relative path, so the same folder always gives the same array (and a resumed run the same batches).
* **Crop and size**: the largest centred square, then resized to ``size`` x ``size`` with Lanczos filtering. Images
  of mixed sizes and shapes are the normal case. Images are never enlarged: one whose shorter side is below
  ``size`` is refused, since an enlarged image only teaches the generator blur (choose a smaller size instead).
* **Colour**: ``"gray"`` is Pillow's ITU-R 601-2 luma, L = 0.299 R + 0.587 G + 0.114 B; ``"rgb"`` keeps three
  channels. Transparency is composited over black; 16-bit PNGs are scaled to 0..255; a JPEG's EXIF orientation
  is applied, so a portrait photo stays upright.
* **No labels, no test split**: a folder has no classes to score the categorical code against, so every image is
  a training image and there is no test accuracy. Look at what the codes learned in the explorer instead.

One bad file among many stops the load, with every bad file named in one message, and nothing is returned. A
skipped file would silently make the training set differ from the folder the user believes they trained on, and a
corrupt or truncated file is often the sign of an interrupted copy whose other files are suspect too; listing all
of them at once lets the user fix the folder in one go. The same holds for an image too small to crop.

Every mistake a user can make (a missing folder, a file given as the folder, no images, unreadable or corrupt
files, too few images to train on) is one :class:`FolderError`, on one line: what happened and what to do.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:  # Pillow is imported where an image is read: training alone never loads it
    from PIL import Image

__all__ = [
    "COLOURS",
    "FOLDER_PREFIX",
    "IMAGE_SUFFIXES",
    "MIN_IMAGES",
    "FolderError",
    "folder_dataset",
    "folder_path",
    "image_files",
    "is_folder_dataset",
    "load_folder",
]

FOLDER_PREFIX = "folder:"  # TrainConfig.dataset of a folder run: "folder:" + the folder's absolute path
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
COLOURS = ("gray", "rgb")
MIN_IMAGES = 2  # BatchNorm needs two examples per batch: with one image, no batch can train
_FORMATS = ("PNG", "JPEG")  # the JPEG opener also reads camera JPEGs that carry a second picture (MPO)
_NAMED = 5  # bad files named in a message; the rest are counted

Colour = Literal["gray", "rgb"]


class FolderError(ValueError):
    """A folder that cannot be used as training images; the message says which file or folder, and what to do."""


class _TooSmall(ValueError):
    """An image whose shorter side is below the size it would be cut to."""


def is_folder_dataset(name: str) -> bool:
    """Whether a dataset name (TrainConfig.dataset, ``--dataset``) means a folder of images: ``folder:PATH``."""
    return isinstance(name, str) and name.startswith(FOLDER_PREFIX)


def folder_path(name: str) -> Path:
    """The folder a ``folder:PATH`` dataset name points to (``~`` expanded; not checked)."""
    if not is_folder_dataset(name) or not name[len(FOLDER_PREFIX) :].strip():
        raise FolderError(f"{name!r} names no folder: write folder:PATH, e.g. folder:~/photos")
    return Path(name[len(FOLDER_PREFIX) :]).expanduser()


def folder_dataset(path: str | os.PathLike) -> str:
    """The dataset name a run records for `path`: ``folder:`` + its absolute path, so that a resumed run finds
    the same folder from any working directory."""
    return FOLDER_PREFIX + str(Path(path).expanduser().resolve())


def _walk_error(error: OSError) -> None:
    where = error.filename or "the folder"
    raise FolderError(
        f"cannot read the folder {where} ({error.strerror or error}): check its permissions (it needs r and x, "
        "e.g. chmod u+rx), or move it out of the image folder"
    ) from None


def image_files(folder: str | os.PathLike) -> list[Path]:
    """The image files under `folder` (see the module docstring), sorted by relative path; FolderError when the
    folder is missing, is a file, cannot be read, or holds no PNG or JPEG file."""
    folder = Path(folder).expanduser()
    if not folder.exists():
        raise FolderError(f"the image folder {folder} does not exist: check its path (or put the folder back)")
    if not folder.is_dir():
        raise FolderError(
            f"{folder} is a file, not a folder: give the folder that holds the images (folder:{folder.parent})"
        )
    found: list[Path] = []
    others = 0
    for root, dirs, files in os.walk(folder, onerror=_walk_error, followlinks=False):
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # os.walk descends only into what is left
        for name in files:
            if name.startswith("."):
                continue
            if name.lower().endswith(IMAGE_SUFFIXES):
                found.append(Path(root) / name)
            else:
                others += 1
    if not found:
        seen = f"only {others} other file{'s' if others != 1 else ''}" if others else "nothing"
        raise FolderError(
            f"no PNG or JPEG images in {folder} (found {seen}; sub-folders are searched, names starting with a "
            f"dot are skipped): put .png, .jpg or .jpeg files there, or point folder: at the folder that has them"
        )
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def _to_mode(image: Image.Image, colour: Colour) -> Image.Image:
    """`image` as 8-bit "L" or "RGB": alpha over black, 16-bit gray scaled to 0..255."""
    from PIL import Image

    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):  # a 16-bit PNG: values 0..65535
        values = np.asarray(image, dtype=np.float64) * (255 / 65535)  # (h, w)
        image = Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8), "L")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (0, 0, 0, 255)), rgba)
    return image.convert("L" if colour == "gray" else "RGB")


def _read(path: Path, size: int, colour: Colour) -> np.ndarray:
    """One image, centre-cropped and resized: (size, size) or (size, size, 3) uint8. Raises ValueError with the
    reason when it is too small (_TooSmall), OSError (or anything Pillow raises) when it cannot be decoded."""
    from PIL import Image, ImageOps

    with Image.open(path, formats=_FORMATS) as image:
        width, height = image.size
        if min(width, height) < size:
            raise _TooSmall(f"{width}x{height} pixels, smaller than {size}x{size}")
        image.draft("L" if colour == "gray" else "RGB", (size, size))  # JPEG: decode at a reduced scale, >= size
        image = ImageOps.exif_transpose(image)  # loads the pixels: truncation shows here
        image = _to_mode(image, colour)
        width, height = image.size
        side = min(width, height)
        left, top = (width - side) // 2, (height - side) // 2
        image = image.resize((size, size), Image.LANCZOS, box=(left, top, left + side, top + side))
        return np.asarray(image, dtype=np.uint8)  # (size, size) or (size, size, 3)


def _why(error: BaseException) -> str:
    """A short reason for one bad file."""
    from PIL import Image

    if isinstance(error, PermissionError):
        return "permission denied: check its permissions, e.g. chmod u+r"
    if isinstance(error, _TooSmall):
        return str(error)
    if isinstance(error, Image.DecompressionBombError):  # Pillow's guard against a small file of huge dimensions
        return "too large to decode safely: shrink it first"
    if isinstance(error, OSError) and error.errno is not None:  # the file system's error, not a decoding one
        return f"cannot be read: {error.strerror or error}"
    first = (str(error).strip().splitlines() or [type(error).__name__])[0][:120]
    if "cannot identify image file" in first:
        return "not a PNG or JPEG image"
    return f"corrupt or truncated: {first}"


def load_folder(
    folder: str | os.PathLike, size: int = 64, colour: Colour = "gray", *, min_images: int = MIN_IMAGES
) -> np.ndarray:
    """Every PNG or JPEG under `folder`, centre-cropped to a square and resized to `size` x `size`.

    Args:
        folder: the folder (searched recursively; see the module docstring for what is read).
        size: the side of the square images, in pixels (the CLI offers the sizes its models build).
        colour: ``"gray"`` (one channel) or ``"rgb"``.
        min_images: fewer images than this is an error (default 2, the least a BatchNorm batch needs).

    Returns:
        uint8 (N, size, size) for gray, (N, 3, size, size) for RGB, in sorted path order.

    Raises:
        FolderError: the folder is missing or is a file, cannot be read, holds no images or too few, or any image
            is unreadable, corrupt, truncated, or smaller than `size` (all such files named in one message).
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise FolderError(f"image size must be a positive int (pixels), got {size!r}")
    if colour not in COLOURS:
        raise FolderError(f"colour must be one of {COLOURS}, got {colour!r}")
    folder = Path(folder).expanduser()
    paths = image_files(folder)
    if len(paths) < min_images:
        which = f" ({paths[0].name})" if len(paths) == 1 else ""
        raise FolderError(
            f"{folder} holds {len(paths)} image{'s' if len(paths) != 1 else ''}{which}, too few to train "
            f"on (at least {min_images}; a GAN wants hundreds or more): add images to the folder"
        )
    shape = (len(paths), size, size) if colour == "gray" else (len(paths), size, size, 3)
    images = np.empty(shape, dtype=np.uint8)  # (N, S, S) or (N, S, S, 3)
    bad: list[str] = []
    too_small = False
    for i, path in enumerate(paths):
        try:
            images[i] = _read(path, size, colour)
        except Exception as e:  # any decoding failure of a damaged file: OSError, SyntaxError, zlib.error, ...
            too_small = too_small or isinstance(e, _TooSmall)
            bad.append(f"{path.relative_to(folder).as_posix()} ({_why(e)})")
    if bad:
        more = f"; and {len(bad) - _NAMED} more" if len(bad) > _NAMED else ""
        advice = f"; images are never enlarged (that only teaches blur): choose a smaller size than {size}, or "
        small = advice + "remove the small ones" if too_small else ""
        raise FolderError(
            f"{len(bad)} of {len(paths)} image files in {folder} cannot be used: {'; '.join(bad[:_NAMED])}{more}. "
            f"Nothing was loaded: fix or remove these files (or move them out of the folder), then run again{small}"
        )
    return images if colour == "gray" else np.ascontiguousarray(images.transpose(0, 3, 1, 2))  # (N, 3, S, S)
