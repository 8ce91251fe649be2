"""A folder of PNG / JPEG images as training data (infogan_edu.data.folder).

The expected pixels are worked out by hand from the image each test draws: which columns the centred square keeps,
the ITU-R 601-2 luma of a colour (Pillow's integer form, (19595 R + 38470 G + 7471 B + 2^15) >> 16), alpha over
black, 16-bit values scaled by 255 / 65535. Every bad input is one FolderError, on one line, naming the file or
folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from infogan_edu.data.folder import (
    FolderError,
    folder_dataset,
    folder_path,
    image_files,
    is_folder_dataset,
    load_folder,
)


def solid(path: Path, colour: tuple[int, ...], size: tuple[int, int] = (30, 30), mode: str = "RGB") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, colour).save(path)
    return path


def band(path: Path, width: int, height: int, start: int, stop: int) -> Path:
    """Black, with white columns [start, stop) (or rows, when the image is taller than wide)."""
    pixels = np.zeros((height, width), dtype=np.uint8)
    if width >= height:
        pixels[:, start:stop] = 255
    else:
        pixels[start:stop, :] = 255
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels, "L").save(path)
    return path


# -------------------------------------------------------------------------------------------- what is read, and how
@pytest.mark.parametrize(
    ("width", "height", "start", "stop"),
    [
        (60, 28, 16, 44),  # (60 - 28) / 2 = 16: the square is columns 16..43
        (61, 28, 16, 44),  # (61 - 28) // 2 = 16: an odd margin puts the extra column on the right
        (28, 60, 16, 44),  # portrait: rows 16..43
        (28, 28, 0, 28),  # already square and the right size: unchanged
    ],
)
def test_the_centred_square_is_kept(tmp_path: Path, width: int, height: int, start: int, stop: int) -> None:
    band(tmp_path / "a.png", width, height, start, stop)
    band(tmp_path / "b.png", width, height, start, stop)
    images = load_folder(tmp_path, size=28)
    assert images.shape == (2, 28, 28) and images.dtype == np.uint8
    assert (images == 255).all()  # only the white band is inside the square


def test_a_square_one_column_off_centre_shows_black(tmp_path: Path) -> None:
    band(tmp_path / "a.png", 60, 28, 17, 45)  # the band one column right of the centred square
    band(tmp_path / "b.png", 60, 28, 17, 45)
    images = load_folder(tmp_path, size=28)
    assert (images[:, :, 0] == 0).all() and (images[:, :, 1:] == 255).all()


# colour -> its gray value, by hand: (19595 R + 38470 G + 7471 B + 32768) >> 16
LUMA = [
    ((255, 0, 0), 76),
    ((0, 255, 0), 150),
    ((0, 0, 255), 29),
    ((255, 255, 255), 255),
    ((10, 20, 30), 18),
    ((0, 0, 0), 0),
]


def test_gray_is_the_601_luma_and_rgb_keeps_the_channels(tmp_path: Path) -> None:
    for i, (colour, _) in enumerate(LUMA):
        solid(tmp_path / f"{i}.png", colour, (40, 33))
    gray = load_folder(tmp_path, size=28, colour="gray")
    rgb = load_folder(tmp_path, size=28, colour="rgb")
    assert gray.shape == (len(LUMA), 28, 28) and rgb.shape == (len(LUMA), 3, 28, 28)
    for i, (colour, luma) in enumerate(LUMA):
        assert (gray[i] == luma).all(), (colour, np.unique(gray[i]))
        assert all((rgb[i, c] == colour[c]).all() for c in range(3)), colour


def test_mixed_sizes_sub_folders_and_order(tmp_path: Path) -> None:
    # sorted by relative path: a.png < b/c.jpg < b/d/e.png < f.jpeg; hidden files and folders and other files skipped
    solid(tmp_path / "f.jpeg", (200, 200, 200), (300, 90))
    solid(tmp_path / "a.png", (10, 10, 10), (28, 28))
    solid(tmp_path / "b" / "c.jpg", (100, 100, 100), (50, 120))
    solid(tmp_path / "b" / "d" / "e.png", (150, 150, 150), (64, 65))
    solid(tmp_path / ".hidden" / "x.png", (1, 1, 1))
    solid(tmp_path / "b" / ".y.png", (2, 2, 2))
    (tmp_path / "._g.jpg").write_bytes(b"macOS resource fork, not an image")
    (tmp_path / "notes.txt").write_text("not an image")
    assert [p.relative_to(tmp_path).as_posix() for p in image_files(tmp_path)] == [
        "a.png",
        "b/c.jpg",
        "b/d/e.png",
        "f.jpeg",
    ]
    images = load_folder(tmp_path, size=28)
    assert images.shape == (4, 28, 28)
    means = images.reshape(4, -1).mean(1)
    assert np.abs(means - [10, 100, 150, 200]).max() <= 1  # JPEG may move a flat gray by one level


def test_suffixes_in_any_case(tmp_path: Path) -> None:
    solid(tmp_path / "A.PNG", (9, 9, 9))
    solid(tmp_path / "B.JpG", (9, 9, 9))
    assert len(load_folder(tmp_path, size=28)) == 2


def test_transparency_goes_over_black_and_16_bit_is_scaled(tmp_path: Path) -> None:
    solid(tmp_path / "a.png", (255, 255, 255, 128), mode="RGBA")  # white at alpha 128/255 over black: 128
    solid(tmp_path / "b.png", (255, 0, 0, 255), mode="RGBA")  # opaque red: luma 76
    Image.fromarray(np.full((30, 30), 25700, dtype=np.uint16)).save(tmp_path / "c.png")  # 25700 * 255/65535 = 100
    Image.fromarray(np.full((30, 30), 65535, dtype=np.uint16)).save(tmp_path / "d.png")  # 255
    palette = Image.new("P", (30, 30), 1)
    palette.putpalette([0, 0, 0, 0, 0, 255] + [0] * 762)  # index 1 is pure blue: luma 29
    palette.save(tmp_path / "e.png")
    images = load_folder(tmp_path, size=28)
    assert [int(np.unique(im)[0]) for im in images] == [128, 76, 100, 255, 29]
    assert all(len(np.unique(im)) == 1 for im in images)


def test_lanczos_downscale_keeps_flat_regions(tmp_path: Path) -> None:
    # 56 x 56, left half white, right half black, to 28 x 28: far (> 3 pixels) from the edge the halves stay flat
    pixels = np.zeros((56, 56), dtype=np.uint8)
    pixels[:, :28] = 255
    for name in ("a.png", "b.png"):
        Image.fromarray(pixels, "L").save(tmp_path / name)
    image = load_folder(tmp_path, size=28)[0]
    assert (image[:, :10] == 255).all() and (image[:, 18:] == 0).all()


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    # stored 60 x 28 with the top half white; orientation 6 shows it turned 90 degrees clockwise (28 x 60): the top
    # becomes the right side, so the centred square is black on the left and white on the right
    pixels = np.zeros((28, 60), dtype=np.uint8)
    pixels[:14] = 255
    exif = Image.Exif()
    exif[0x0112] = 6
    for name in ("a.jpg", "b.jpg"):
        Image.fromarray(pixels, "L").save(tmp_path / name, quality=95, exif=exif)
    image = load_folder(tmp_path, size=28)[0].astype(float)
    assert image[:, :10].mean() < 20 and image[:, 18:].mean() > 235


def test_the_dataset_name_is_the_absolute_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert folder_dataset("photos") == f"folder:{tmp_path.resolve() / 'photos'}"
    assert is_folder_dataset("folder:/x") and not is_folder_dataset("mnist") and not is_folder_dataset("folders")
    assert folder_path("folder:/data/x") == Path("/data/x")
    with pytest.raises(FolderError, match="names no folder"):
        folder_path("folder: ")


# -------------------------------------------------------------------------------------------- every bad input
def _images(folder: Path, n: int = 3) -> Path:
    for i in range(n):
        solid(folder / f"ok{i}.png", (50 * i, 0, 0), (40, 30))
    return folder


def _jpeg_bytes() -> bytes:
    import io

    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(buffer, "jpeg")
    return buffer.getvalue()


def _png_bytes() -> bytes:
    import io

    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 40), dtype=np.uint8)).save(buffer, "png")
    return buffer.getvalue()


def _gif(path: Path) -> None:
    Image.new("P", (40, 40)).save(path, format="gif")


# each row: what the folder holds (built under tmp_path / "imgs") and the words the one-line message must contain
BAD = {
    "missing folder": (lambda d: d.parent, ["imgs", "does not exist"]),
    "a file, not a folder": (lambda d: (d.parent / "imgs").write_text("x"), ["imgs", "is a file, not a folder"]),
    "empty folder": (lambda d: d.mkdir(), ["no PNG or JPEG images", "imgs", "found nothing"]),
    "only other files": (
        lambda d: (d.mkdir(), (d / "a.txt").write_text("x"), (d / "b.gif").write_bytes(b"GIF89a")),
        ["no PNG or JPEG images", "only 2 other files"],
    ),
    "only hidden images": (lambda d: solid(d / ".a.png", (1, 1, 1)), ["no PNG or JPEG images"]),
    "a single image": (lambda d: solid(d / "one.png", (1, 1, 1)), ["holds 1 image", "one.png", "too few"]),
    "junk named .jpg": (
        lambda d: (_images(d), (d / "bad.jpg").write_bytes(b"hello")),
        ["1 of 4", "bad.jpg (not a PNG or JPEG image)", "fix or remove"],
    ),
    "an empty .png": (lambda d: (_images(d), (d / "e.png").write_bytes(b"")), ["e.png (not a PNG or JPEG image)"]),
    "a truncated JPEG": (
        lambda d: (_images(d), (d / "cut.jpg").write_bytes(_jpeg_bytes()[:400])),
        ["cut.jpg (corrupt or truncated", "1 of 4"],
    ),
    "a truncated PNG": (
        lambda d: (_images(d), (d / "sub").mkdir(), (d / "sub" / "cut.png").write_bytes(_png_bytes()[:300])),
        ["sub/cut.png (corrupt or truncated"],
    ),
    "a GIF named .png": (lambda d: (_images(d), _gif(d / "g.png")), ["g.png (not a PNG or JPEG image)"]),
    "a broken link": (
        lambda d: (_images(d), os.symlink(d / "gone.png", d / "link.png")),
        ["link.png (cannot be read: No such file or directory)"],
    ),
    "an image too small": (
        lambda d: (_images(d), solid(d / "small.png", (1, 1, 1), (27, 40))),
        ["small.png (27x40 pixels, smaller than 28x28)", "never enlarged", "choose a smaller size than 28"],
    ),
    "seven bad files": (
        lambda d: (_images(d), *((d / f"bad{i}.jpg").write_bytes(b"x") for i in range(7))),
        ["7 of 10", "bad0.jpg", "bad4.jpg", "and 2 more"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_every_bad_input_is_one_line_naming_the_file(tmp_path: Path, case: str) -> None:
    build, words = BAD[case]
    folder = tmp_path / "imgs"
    build(folder)
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(FolderError) as info:
        load_folder(folder, size=28)
    message = str(info.value)
    assert "\n" not in message
    assert all(word in message for word in words), message
    assert "bad5.jpg" not in message  # at most five files are named
    assert sorted(tmp_path.rglob("*")) == before  # nothing written


def test_a_file_that_cannot_be_opened_is_named(tmp_path: Path, monkeypatch) -> None:
    # root reads any file, so a chmod cannot show this here: the open itself is made to fail, as for a user
    folder = _images(tmp_path / "imgs")
    real_open = Image.open

    def deny(path, *args, **kwargs):
        if Path(path).name == "ok1.png":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(Image, "open", deny)
    with pytest.raises(FolderError, match=r"1 of 3 .* ok1\.png \(permission denied: check its permissions"):
        load_folder(folder, size=28)


def test_a_sub_folder_that_cannot_be_read_is_named(tmp_path: Path, monkeypatch) -> None:
    folder = _images(tmp_path / "imgs")
    (folder / "locked").mkdir()
    real_scandir = os.scandir

    def deny(path="."):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", deny)
    with pytest.raises(FolderError, match=r"cannot read the folder .*locked \(Permission denied\): check its perm"):
        load_folder(folder, size=28)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a user whom chmod 000 locks out")
def test_chmod_000_file_is_named(tmp_path: Path) -> None:
    folder = _images(tmp_path / "imgs")
    (folder / "ok0.png").chmod(0)
    with pytest.raises(FolderError, match=r"ok0\.png \(permission denied"):
        load_folder(folder, size=28)


@pytest.mark.parametrize(("size", "colour"), [(0, "gray"), (28.0, "gray"), (True, "gray"), (28, "RGB"), (28, "l")])
def test_bad_arguments_are_refused(tmp_path: Path, size: object, colour: str) -> None:
    with pytest.raises(FolderError, match="image size|colour"):
        load_folder(_images(tmp_path), size=size, colour=colour)  # type: ignore[arg-type]


def test_an_image_too_large_to_decode_safely_is_named(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1200)  # the good images' 40 x 30; Pillow refuses twice that
    folder = _images(tmp_path / "imgs")
    solid(folder / "huge.png", (1, 1, 1), (50, 50))  # 2,500 pixels > 2,400
    with pytest.raises(FolderError, match=r"1 of 4 .* huge\.png \(too large to decode safely"):
        load_folder(folder, size=28)
