"""SVHN and CelebA: the real download path (pooch over HTTP) against small files of the real formats, made here and
served on 127.0.0.1, with the expected sizes and SHA-256s patched to theirs. Nothing leaves the machine."""

import dataclasses
import hashlib
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
import scipy.io
from PIL import Image

from infogan_edu.data import celeba, published
from infogan_edu.data import datasets as ds
from infogan_edu.data import download as dl
from infogan_edu.data.published import DataFormatError

from ._loopback import closed_port_url, mirror

# --- SVHN: X (32, 32, 3, N) uint8 and y (N, 1) with 10 for the digit 0, as in the published .mat files ----------
DIGITS = {"train": [10, 1, 2, 3, 9, 10, 7], "test": [4, 10, 5]}


def svhn_arrays(split: str) -> tuple[np.ndarray, np.ndarray]:
    n = len(DIGITS[split])
    x = np.random.default_rng(n).integers(0, 256, (32, 32, 3, n), dtype=np.uint8)
    x[0, 1, 2, 0] = 77  # row 0, column 1, blue, image 0: pixel (channel 2, row 0, column 1) of image 0
    return x, np.array(DIGITS[split], np.uint8).reshape(-1, 1)


# --- CelebA: 178 x 218 JPEGs; the centre 108 x 108 square (columns 35..142, rows 55..162) is red on its left half
# (columns 35..88) and blue on its right half (89..142); everything outside it is green ----------------------
NAMES = [f"{i:06d}.jpg" for i in range(1, 7)]
PARTITION = [0, 0, 1, 2, 0, 2]
RED, BLUE, GREEN = (230, 20, 20), (20, 20, 230), (20, 230, 20)


def face_jpeg() -> bytes:
    pixels = np.zeros((218, 178, 3), np.uint8)  # (height, width, RGB)
    pixels[:] = GREEN
    pixels[55:163, 35:89] = RED
    pixels[55:163, 89:143] = BLUE
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=100, subsampling=0)
    return buffer.getvalue()


def attribute_values() -> np.ndarray:
    return np.where(np.random.default_rng(1).random((len(NAMES), 40)) < 0.3, 1, -1)  # (N, 40) in {-1, 1}


def celeba_zip(broken: str | None = None, size: tuple[int, int] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("img_align_celeba/", b"")
        for name in NAMES:
            jpeg = face_jpeg()
            if name == broken:
                jpeg = jpeg[: len(jpeg) // 3]  # a cut JPEG
            if name == broken and size is not None:
                small = io.BytesIO()
                Image.new("RGB", size, RED).save(small, "JPEG")
                jpeg = small.getvalue()
            archive.writestr(f"img_align_celeba/{name}", jpeg)
    return buffer.getvalue()


def attribute_text() -> str:
    rows = [f"{n} " + " ".join(f"{v:2d}" for v in row) for n, row in zip(NAMES, attribute_values(), strict=True)]
    return "\n".join([str(len(NAMES)), " ".join(celeba.CELEBA_ATTRIBUTES), *rows]) + "\n"


def write_files(folder: Path) -> dict[str, dict[str, bytes]]:
    """The five small files, in folder/svhn and folder/celeba; returns their bytes."""
    contents = {"svhn": {}, "celeba": {}}
    for split, filename in (("train", "train_32x32.mat"), ("test", "test_32x32.mat")):
        buffer = io.BytesIO()
        x, y = svhn_arrays(split)
        scipy.io.savemat(buffer, {"X": x, "y": y})
        contents["svhn"][filename] = buffer.getvalue()
    contents["celeba"]["img_align_celeba.zip"] = celeba_zip()
    contents["celeba"]["list_attr_celeba.txt"] = attribute_text().encode()
    lines = [f"{n} {p}" for n, p in zip(NAMES, PARTITION, strict=True)]
    contents["celeba"]["list_eval_partition.txt"] = ("\n".join(lines) + "\n").encode()
    for name, files in contents.items():
        (folder / name).mkdir(parents=True, exist_ok=True)
        for filename, data in files.items():
            (folder / name / filename).write_bytes(data)
    return contents


@pytest.fixture
def server(tmp_path):
    """tmp_path/www/good/<dataset>/ holds the files; /bad/<dataset>/ the same names with other bytes."""
    www = tmp_path / "www"
    contents = write_files(www / "good")
    for name, files in contents.items():
        (www / "bad" / name).mkdir(parents=True)
        for filename, data in files.items():
            (www / "bad" / name / filename).write_bytes(bytes(b ^ 1 for b in data))  # same size, other content
    with mirror(www) as (base, seen):
        yield {"base": base, "contents": contents, "seen": seen}


def expect(monkeypatch, name: str, filename: str, data: bytes) -> None:
    """Make `data` the published file `filename` (size and SHA-256), served from a dead address by default."""
    entry = dataclasses.replace(
        published.FILES[name][filename],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        urls=(closed_port_url("files/") + filename,),
    )
    monkeypatch.setitem(published.FILES[name], filename, entry)


@pytest.fixture
def env(tmp_path, monkeypatch, server):
    """$INFOGAN_EDU_DATA (read-only style), a tmp cache, and the small files as the published ones."""
    data_root = tmp_path / "shared-data"
    data_root.mkdir()
    monkeypatch.setenv(ds.DATA_ENV, str(data_root))
    monkeypatch.setenv(dl.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setattr(dl, "TIMEOUT_S", 5.0)
    monkeypatch.setattr(dl, "PROGRESSBAR", False)
    for name, files in server["contents"].items():
        monkeypatch.setitem(published.FILES, name, dict(published.FILES[name]))  # a copy the test may change
        for filename, data in files.items():
            expect(monkeypatch, name, filename, data)
    return {"data_root": data_root, "cache": tmp_path / "cache"}


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def good(server, name: str) -> list[str]:
    return [closed_port_url("files/"), f"{server['base']}/good/{name}/"]


# --- SVHN ---------------------------------------------------------------------------------------------------


def test_svhn_is_downloaded_verified_cached_and_laid_out_as_n_c_h_w(env, server):
    images, labels = ds.load_dataset("svhn", "train", mirrors=good(server, "svhn"))
    x, _ = svhn_arrays("train")
    assert images.dtype == np.uint8 and images.shape == (7, 3, 32, 32)
    assert images[0, 2, 0, 1] == 77  # the pixel set by hand: (row 0, column 1, blue) of image 0
    assert images[4, 0, 31, 5] == x[31, 5, 0, 4] and images[6, 1, 7, 30] == x[7, 30, 1, 6]
    assert labels.tolist() == [0, 1, 2, 3, 9, 0, 7]  # 10 is the digit 0
    assert tree(env["cache"]) == ["svhn", "svhn/train_32x32.mat"] and tree(env["data_root"]) == []
    count = len(server["seen"])
    ds.load_dataset("svhn", "train", mirrors=good(server, "svhn"))  # the verified cached copy: no request
    assert len(server["seen"]) == count
    assert ds.load_dataset("svhn", "test", mirrors=good(server, "svhn"))[1].tolist() == [4, 0, 5]


def test_svhn_copy_in_the_data_folder_is_used_offline(env, server):
    (env["data_root"] / "svhn").mkdir()
    (env["data_root"] / "svhn" / "test_32x32.mat").write_bytes(server["contents"]["svhn"]["test_32x32.mat"])
    images, labels = ds.load_dataset("SVHN", "test", download=False)
    assert images.shape == (3, 3, 32, 32) and labels.tolist() == [4, 0, 5]
    assert server["seen"] == [] and not env["cache"].exists()


def test_a_wrong_local_file_is_reported_not_replaced(env, server):
    (env["data_root"] / "svhn").mkdir()
    wrong = bytearray(server["contents"]["svhn"]["test_32x32.mat"])
    wrong[-1] ^= 0xFF  # the same size, one byte changed
    (env["data_root"] / "svhn" / "test_32x32.mat").write_bytes(bytes(wrong))
    with pytest.raises(dl.ChecksumError) as info:
        ds.load_dataset("svhn", "test", mirrors=good(server, "svhn"))
    message = str(info.value)
    assert str(env["data_root"] / "svhn" / "test_32x32.mat") in message
    assert "its SHA-256 is" in message and "delete it" in message and server["seen"] == []


def test_a_damaged_cached_copy_is_fetched_again(env, server):
    (env["cache"] / "svhn").mkdir(parents=True)
    (env["cache"] / "svhn" / "test_32x32.mat").write_bytes(b"half a file")
    _, labels = ds.load_dataset("svhn", "test", mirrors=good(server, "svhn"))
    assert labels.tolist() == [4, 0, 5] and server["seen"] == ["/good/svhn/test_32x32.mat"]


def test_wrong_and_missing_downloads_are_one_error_that_lists_every_place(env, server):
    dead, bad, missing = closed_port_url("files/"), f"{server['base']}/bad/svhn/", f"{server['base']}/missing/"
    with pytest.raises(ds.DataNotFoundError) as info:
        ds.load_dataset("svhn", "train", mirrors=[dead, missing, bad])
    message = str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert "train_32x32.mat of svhn is not on this machine" in message
    assert str(env["data_root"] / "svhn" / "train_32x32.mat") in message  # $INFOGAN_EDU_DATA
    assert str(env["cache"] / "svhn" / "train_32x32.mat") in message  # the user cache
    assert f"{dead}train_32x32.mat: [Errno 111] Connection refused" in message
    assert f"{missing}train_32x32.mat: HTTP 404" in message
    assert f"{bad}train_32x32.mat: wrong content (its SHA-256 is" in message
    assert "ufldl.stanford.edu/housenumbers" in message and "Traceback" not in message
    assert not env["cache"].exists()  # no temporary file, and the folders made for the download removed again
    with pytest.raises(ds.DataNotFoundError, match="Downloading was switched off"):
        ds.load_dataset("svhn", "train", download=False)


def test_download_goes_into_a_writable_root(env, server, tmp_path):
    ds.load_dataset("svhn", "test", root=tmp_path / "mine", mirrors=good(server, "svhn"))
    assert tree(tmp_path / "mine") == ["svhn", "svhn/test_32x32.mat"] and not env["cache"].exists()


@pytest.mark.parametrize(
    "payload,why",
    [
        (b"MATLAB 5.0 MAT-file, but then nothing" * 10, "not a readable MATLAB file"),
        ({"images": np.zeros((32, 32, 3, 2), np.uint8)}, "without SVHN's arrays 'X' and 'y'"),
        ({"X": np.zeros((28, 28, 3, 2), np.uint8), "y": np.ones((2, 1), np.uint8)}, r"shape \(32, 32, 3, N\)"),
        ({"X": np.zeros((32, 32, 3, 2), np.uint8), "y": np.array([[0], [3]], np.uint8)}, "digits 1..10"),
    ],
    ids=["garbage", "no-arrays", "wrong-shape", "label-0"],
)
def test_a_damaged_mat_file_is_one_clear_error(env, monkeypatch, payload, why):
    if isinstance(payload, dict):
        buffer = io.BytesIO()
        scipy.io.savemat(buffer, payload)
        payload = buffer.getvalue()
    (env["data_root"] / "svhn").mkdir()
    (env["data_root"] / "svhn" / "train_32x32.mat").write_bytes(payload)
    expect(monkeypatch, "svhn", "train_32x32.mat", payload)  # it passes the checksum: the format is what fails
    with pytest.raises(DataFormatError, match=why) as info:
        ds.load_dataset("svhn", "train", download=False)
    assert "train_32x32.mat" in str(info.value) and info.value.__cause__ is None


def test_without_scipy_the_message_says_what_to_install(env, server, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "scipy.io", None)  # what an environment without scipy looks like to an import
    with pytest.raises(ImportError, match=r"SVHN's \.mat files needs scipy.*pip install scipy"):
        ds.load_dataset("svhn", "test", mirrors=good(server, "svhn"))


def test_unknown_names_and_splits():
    with pytest.raises(ValueError, match="'svhn', 'celeba'"):
        ds.load_dataset("cifar10")
    with pytest.raises(ValueError, match="valid splits are 'train', 'test'"):
        ds.load_dataset("svhn", "extra")
    with pytest.raises(ValueError, match="'train', 'valid', 'test', 'all'"):
        ds.load_dataset("celeba", "val")


# --- CelebA -------------------------------------------------------------------------------------------------


def test_celeba_centre_crop_resize_and_attributes(env, server):
    images, attributes = ds.load_dataset("celeba", "all", mirrors=good(server, "celeba"))
    assert images.dtype == np.uint8 and images.shape == (6, 3, 32, 32)
    pixels = images.transpose(0, 2, 3, 1).astype(int)  # (N, 32, 32, RGB)
    # the crop's left 54 columns are red: output columns 0..15 (16 = 54 / 3.375); its right half blue. Columns
    # 14..17 straddle the edge (JPEG blurs it); no output pixel may carry the green outside the crop.
    assert np.abs(pixels[:, :, :14] - RED).max() <= 8
    assert np.abs(pixels[:, :, 18:] - BLUE).max() <= 8
    assert pixels[..., 1].max() <= 40  # green channel: 20 inside the crop, 230 outside
    assert attributes.dtype == np.uint8 and attributes.shape == (6, 40)
    np.testing.assert_array_equal(attributes, attribute_values() == 1)


def test_celeba_official_splits(env, server):
    _, all_attributes = ds.load_dataset("celeba", "all", mirrors=good(server, "celeba"))
    for split, code in (("train", 0), ("valid", 1), ("test", 2)):
        images, attributes = ds.load_dataset("celeba", split, mirrors=good(server, "celeba"))
        keep = [i for i, p in enumerate(PARTITION) if p == code]
        assert images.shape == (len(keep), 3, 32, 32)
        np.testing.assert_array_equal(attributes, all_attributes[keep])


def test_celeba_decoded_images_are_cached_with_a_sidecar(env, server):
    first, _ = celeba.load_celeba(mirrors=good(server, "celeba"), progress=False)
    cache = celeba.celeba_cache_path()
    sidecar = cache.with_name(cache.name + ".sha256")
    assert cache.parent == env["cache"] / "celeba"
    assert sidecar.read_text() == f"{hashlib.sha256(cache.read_bytes()).hexdigest()}  {cache.name}\n"
    assert not [p for p in cache.parent.iterdir() if p.name.endswith(".part")]
    (env["cache"] / "celeba" / "img_align_celeba.zip").unlink()  # the cache alone serves the images now
    again, _ = celeba.load_celeba(download=False, progress=False)
    np.testing.assert_array_equal(again, first)
    data = bytearray(cache.read_bytes())
    data[-1] ^= 1
    cache.write_bytes(bytes(data))  # damaged: decoded again from the zip, which must be fetched again
    with pytest.warns(UserWarning, match="decoding CelebA again"):
        third, _ = celeba.load_celeba(mirrors=good(server, "celeba"), progress=False)
    np.testing.assert_array_equal(third, first)
    assert server["seen"].count("/good/celeba/img_align_celeba.zip") == 2


@pytest.mark.parametrize(
    "zip_bytes,why",
    [
        (lambda: celeba_zip(broken="000003.jpg"), r"img_align_celeba/000003.jpg: not a readable JPEG"),
        (lambda: celeba_zip(broken="000004.jpg", size=(64, 64)), "64 x 64 pixels, but aligned CelebA images"),
        (lambda: b"PK\x03\x04 not really a zip" * 50, "not a readable zip file"),
    ],
    ids=["cut-jpeg", "wrong-size", "not-a-zip"],
)
def test_a_damaged_zip_is_one_clear_error(env, monkeypatch, zip_bytes, why):
    payload = zip_bytes()
    (env["data_root"] / "celeba").mkdir()
    folder = env["data_root"] / "celeba"
    (folder / "img_align_celeba.zip").write_bytes(payload)
    (folder / "list_attr_celeba.txt").write_text(attribute_text())
    expect(monkeypatch, "celeba", "img_align_celeba.zip", payload)
    with pytest.raises(DataFormatError, match=why) as info:
        celeba.load_celeba(download=False, progress=False)
    assert info.value.__cause__ is None and not celeba.celeba_cache_path().exists()


@pytest.mark.parametrize(
    "edit,why",
    [
        (lambda t: t.replace("Eyeglasses", "Glasses"), "not CelebA's 40 attribute names"),
        (lambda t: t.replace("6\n", "7\n", 1), "announces 7 images, then 6"),
        (lambda t: t.replace(" 1", " 2", 1), "must be 1 or -1"),
    ],
    ids=["names", "count", "value"],
)
def test_a_damaged_attribute_list_is_one_clear_error(env, monkeypatch, edit, why):
    text = edit(attribute_text())
    (env["data_root"] / "celeba").mkdir()
    (env["data_root"] / "celeba" / "list_attr_celeba.txt").write_text(text)
    expect(monkeypatch, "celeba", "list_attr_celeba.txt", text.encode())
    with pytest.raises(DataFormatError, match=why):
        celeba.load_celeba(download=False, progress=False)


def test_published_table_is_complete():
    """Every file has a size, a SHA-256 and a public address (the tests above patch copies of the entries)."""
    assert set(published.FILES) == {"svhn", "celeba"}
    for files in published.FILES.values():
        for filename, entry in files.items():
            assert entry.name == filename and entry.size > 1_000_000
            assert re.fullmatch(r"[0-9a-f]{64}", entry.sha256)
            assert entry.urls and all(u.startswith(("http://", "https://")) for u in entry.urls)


def test_celeba_image_is_an_area_average_of_the_centre_square():
    """One-pixel stripes (white on even columns, black on odd ones) inside the crop: an area average turns them
    grey (each output pixel covers 3.375 columns, so 1 or 2 of 3 to 4 are white: 25% to 75% white), where a
    nearest-pixel resize would keep black and white. The mean brightness stays that of the stripes, 127.5."""
    pixels = np.full((218, 178, 3), 255, np.uint8)  # white outside the crop: it must not reach the result
    pixels[55:163, 35:143] = 0
    pixels[55:163, 36:143:2] = 255  # columns 36, 38, ...: even columns of the crop (which starts at 35) are black
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")  # lossless, so the bounds below are exact
    out = celeba.celeba_image(buffer.getvalue())
    assert out.shape == (3, 32, 32) and out.dtype == np.uint8
    assert out.min() >= 0.25 * 255 - 1 and out.max() <= 0.75 * 255 + 1
    assert abs(out.mean() - 127.5) < 2
    assert (out == out[:, :1]).all()  # every row alike: the stripes run down the columns
