"""`train --dataset folder:PATH` on good and bad folders of images, judged against a hand-written table of cases.

Each row of FOLDER_CASES builds a folder (random good images around it: their number, sizes, formats, colour modes
and sub-folders vary from trial to trial) and gives the verdict the documentation of `infogan_edu.data.folder`
promises: a valid folder reaches training with images of the right shape (N, S, S) or (N, 3, S, S); a bad one is ONE
line on stderr, status 2, naming the file or folder at fault (or the option to change), with no --out folder created
and the image folder untouched. The verdicts were written down by hand from the module docstring.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw

from infogan_edu import cli, train

from .common import Outcome, one_line, patched
from .inputs import names

MODES = ("RGB", "L", "RGBA", "P", "I;16")


def draw_image(path: Path, rng: random.Random, width: int, height: int, mode: str = "RGB") -> None:
    """A coloured disc or square on a dark background, in `mode` (PNG for modes other than RGB and L)."""
    image = Image.new("RGB", (width, height), tuple(rng.randrange(0, 60) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    r = rng.randrange(min(width, height) // 8 + 1, min(width, height) // 3 + 2)
    cx, cy = width // 2 + rng.randrange(-r // 2, r // 2 + 1), height // 2 + rng.randrange(-r // 2, r // 2 + 1)
    shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
    shape([cx - r, cy - r, cx + r, cy + r], fill=tuple(rng.randrange(100, 256) for _ in range(3)))
    if mode == "I;16":
        image = Image.fromarray(np.asarray(image.convert("L"), dtype=np.uint16) * 257)
    elif mode == "P":
        image = image.quantize(16)
    elif mode != "RGB":
        image = image.convert(mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="JPEG" if path.suffix.lower() in (".jpg", ".jpeg") else "PNG")


def draw_folder(folder: Path, n: int, rng: random.Random, smallest: int = 28, modes: tuple[str, ...] = MODES) -> int:
    """`n` good images of mixed sizes (shorter side >= `smallest`), formats and modes, some in sub-folders."""
    for i in range(n):
        width, height = rng.randrange(smallest, 3 * smallest), rng.randrange(smallest, 3 * smallest)
        mode = rng.choice(modes)
        suffix = rng.choice([".png", ".PNG"]) if mode not in ("RGB", "L") else rng.choice([".png", ".jpg", ".jpeg"])
        sub = rng.choice(["", "", "a/", "a/b/"])
        draw_image(folder / f"{sub}img{i:03d}{suffix}", rng, width, height, mode)
    return n


def _jpeg(rng: random.Random) -> bytes:
    buffer = io.BytesIO()
    pixels = np.random.default_rng(rng.randrange(2**32)).integers(0, 256, (48, 48, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(buffer, "jpeg")
    return buffer.getvalue()


def _png(rng: random.Random) -> bytes:
    buffer = io.BytesIO()
    pixels = np.random.default_rng(rng.randrange(2**32)).integers(0, 256, (48, 48), dtype=np.uint8)
    Image.fromarray(pixels).save(buffer, "png")
    return buffer.getvalue()


def _bad_file(name: str, content: Callable[[random.Random], bytes]) -> Callable[[Path, random.Random], str]:
    """A builder: good images, plus one file `name` (in a random sub-folder) holding `content`; returns `name`."""

    def build(folder: Path, rng: random.Random) -> str:
        draw_folder(folder, rng.randrange(2, 8), rng)
        path = folder / rng.choice(["", "a/", "zz/"]) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content(rng))
        return name

    return build


class FolderCase(NamedTuple):
    name: str
    build: Callable[[Path, random.Random], object]  # fills the folder; returns the image count or the word to name
    args: tuple[str, ...]  # more train arguments
    valid: bool  # True: reaches training with the image count `build` returned
    size: int = 28
    rgb: bool = False


def _good(smallest: int = 28, modes: tuple[str, ...] = MODES) -> Callable[[Path, random.Random], int]:
    return lambda folder, rng: draw_folder(folder, rng.randrange(2, 12), rng, smallest, modes)


def _with_hidden(folder: Path, rng: random.Random) -> int:
    n = draw_folder(folder, rng.randrange(2, 6), rng)
    (folder / ".cache").mkdir()
    (folder / ".cache" / "junk.jpg").write_bytes(b"not an image")  # hidden: skipped
    (folder / "._img000.jpg").write_bytes(b"macOS AppleDouble")  # hidden: skipped
    (folder / "notes.txt").write_text("not an image")  # not an image suffix: ignored
    return n


def _tiny(folder: Path, rng: random.Random) -> str:
    draw_folder(folder, rng.randrange(2, 6), rng, smallest=64)
    draw_image(folder / "tiny.png", rng, rng.randrange(8, 64), rng.randrange(8, 200))
    return "tiny.png"


def _one(folder: Path, rng: random.Random) -> str:
    draw_image(folder / "only.jpg", rng, 80, 60)
    return "only.jpg"


def _file(folder: Path, rng: random.Random) -> str:  # noqa: ARG001
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_bytes(b"a file where the folder should be")
    return str(folder)


def _empty(folder: Path, rng: random.Random) -> str:
    folder.mkdir(parents=True)
    if rng.random() < 0.5:
        (folder / "readme.txt").write_text("no images here")
    return str(folder)


def _broken_link(folder: Path, rng: random.Random) -> str:
    draw_folder(folder, rng.randrange(2, 6), rng)
    os.symlink(folder / "moved-away.png", folder / "link.png")
    return "link.png"


def _few(folder: Path, rng: random.Random) -> str:
    draw_folder(folder, rng.randrange(2, 8), rng)  # fewer than the batch of 8 these rows train with
    return "batch_size"


# fmt: off
FOLDER_CASES: list[FolderCase] = [
    # mixed sizes and shapes, PNG and JPEG, gray, RGB, alpha, palette and 16-bit, in sub-folders: "the normal case"
    FolderCase("mixed sizes, gray, 28", _good(), ("--image-size", "28"), True),
    FolderCase("mixed sizes, rgb, 28", _good(), ("--image-size", "28", "--rgb"), True, rgb=True),
    FolderCase("mixed sizes, gray, 64 (the default)", _good(smallest=64), (), True, size=64),
    FolderCase("mixed sizes, rgb, 64", _good(smallest=64), ("--image-size", "64", "--rgb"), True, 64, True),
    FolderCase("hidden files and other files", _with_hidden, ("--image-size", "28"), True),
    # the folder itself
    FolderCase("missing folder", lambda folder, rng: str(folder), (), False),
    FolderCase("a file instead of a folder", _file, (), False),
    FolderCase("a folder without images", _empty, (), False),
    FolderCase("a single image (too few to train)", _one, (), False),
    FolderCase("fewer images than one batch", _few, ("--image-size", "28", "--set", "batch_size=8"), False),
    # one bad file among good ones stops the run, naming it
    FolderCase("junk bytes named .jpg", _bad_file("junk.jpg", lambda rng: rng.randbytes(rng.randrange(0, 64))),
               ("--image-size", "28"), False),
    FolderCase("a corrupt JPEG (cut short)", _bad_file("cut.jpg", lambda rng: _jpeg(rng)[: rng.randrange(20, 500)]),
               ("--image-size", "28"), False),
    FolderCase("a corrupt PNG (cut short)", _bad_file("cut.png", lambda rng: _png(rng)[: rng.randrange(40, 800)]),
               ("--image-size", "28"), False),
    FolderCase("an empty .png", _bad_file("empty.png", lambda rng: b""), ("--image-size", "28"), False),
    FolderCase("a broken link", _broken_link, ("--image-size", "28"), False),
    # refused, not enlarged
    FolderCase("an image smaller than the size", _tiny, ("--image-size", "64"), False),
]
# fmt: on


class ReachedTraining(Exception):
    """Raised instead of training: the folder was accepted and read."""


def folder_outcome(case: FolderCase, rng: random.Random, work: Path) -> Outcome:
    """Build the case's folder in `work`, run `train` on it in-process, and judge the result."""
    folder, out = work / "imgs", work / "out"
    expected = case.build(folder, rng)
    before = {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()} if folder.is_dir() else {}
    argv = ["train", "--dataset", f"folder:{folder}", "--out", str(out), "--preset", "cpu", "--no-progress"]
    argv += ["--set", "batch_size=2", *case.args] if "batch_size=8" not in case.args else list(case.args)
    seen: list[tuple[int, ...]] = []

    class Stub:
        def __init__(self, config: object, images: np.ndarray, *a: object, **k: object) -> None:
            seen.append(tuple(images.shape))
            raise ReachedTraining

    err = io.StringIO()
    with patched(train, "Trainer", Stub), contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            status = cli.main(argv)
        except ReachedTraining:
            status = None
    after = {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()} if folder.is_dir() else {}
    lost = after != before
    text = err.getvalue()
    label = f"{case.name}: {argv[2:]}"
    if case.valid:
        shape = (expected, 3, case.size, case.size) if case.rgb else (expected, case.size, case.size)
        ok = status is None and seen == [shape] and not lost
        return Outcome(ok, lost, "" if ok else f"{label}: status {status}, shapes {seen}: {text.strip()[:300]}")
    ok = status == 2 and not seen and one_line(text) and names(text, str(expected)) and not out.exists()
    return Outcome(ok and not lost, lost, "" if ok and not lost else f"{label}: status {status}: {text.strip()[:300]}")


def trial_folder(rng: random.Random, work: Path) -> Outcome:
    return folder_outcome(rng.choice(FOLDER_CASES), rng, work)
