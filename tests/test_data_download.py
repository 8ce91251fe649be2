"""The real download path (pooch over HTTP) against mirrors served on 127.0.0.1 by this test."""

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest

from infogan_edu.data import datasets as ds
from infogan_edu.data import download as dl
from infogan_edu.data.idx import write_idx

from ._loopback import closed_port_url, mirror

N = {"train": 12, "test": 5}


def fake_arrays(split: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(N[split])
    n = N[split]
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8)


def write_split_files(folder: Path) -> dict[str, str]:
    """Write the four fake files into ``folder``; return the SHA-256 of each uncompressed file."""
    folder.mkdir(parents=True, exist_ok=True)
    hashes = {}
    for split in N:
        for filename, array in zip(ds.SPLIT_FILES[split], fake_arrays(split), strict=True):
            path = write_idx(array, folder / filename)
            hashes[filename] = hashlib.sha256(gzip.decompress(path.read_bytes())).hexdigest()
    return hashes


@pytest.fixture
def server(tmp_path):
    """Serve tmp_path/www on a free loopback port: /good/ has the files, /bad/ has wrong ones."""
    www = tmp_path / "www"
    hashes = write_split_files(www / "good")
    (www / "bad").mkdir()
    for filename in hashes:  # valid IDX files, but not the expected content
        write_idx(np.full((3, 28, 28), 7, np.uint8), www / "bad" / filename)
    with mirror(www) as (base, seen):
        yield {"base": base, "hashes": hashes, "seen": seen}


@pytest.fixture
def env(tmp_path, monkeypatch, server):
    """A read-only-style data root in $INFOGAN_EDU_DATA, a tmp cache, and the fake hashes."""
    data_root = tmp_path / "shared-data"
    (data_root / "fashion-mnist").mkdir(parents=True)  # holds the other dataset only
    monkeypatch.setenv(ds.DATA_ENV, str(data_root))
    monkeypatch.setenv(dl.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setattr(ds, "SYSTEM_DIRS", {"mnist": [], "fashion-mnist": []})
    dead = closed_port_url("mnist/")
    monkeypatch.setattr(dl, "MIRRORS", {"mnist": [dead], "fashion-mnist": [dead]})
    monkeypatch.setattr(dl, "TIMEOUT_S", 5.0)
    monkeypatch.setitem(dl.SHA256, "mnist", server["hashes"])
    return {"data_root": data_root, "cache": tmp_path / "cache"}


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_failover_skips_dead_missing_and_wrong_mirrors(env, server, monkeypatch):
    monkeypatch.setattr(dl, "PROGRESSBAR", True)  # the default, through pooch's tqdm bar
    base = server["base"]
    mirrors = [closed_port_url("mnist/"), f"{base}/missing/", f"{base}/bad/", f"{base}/good/"]
    before = tree(env["data_root"])
    images, labels = ds.load_mnist("train", mirrors=mirrors)
    expected_images, expected_labels = fake_arrays("train")
    np.testing.assert_array_equal(images, expected_images)
    np.testing.assert_array_equal(labels, expected_labels)
    # Landed in the cache, verified, with no temporary files left; nothing beside the data root.
    assert tree(env["cache"]) == ["mnist"] + [f"mnist/{f}" for f in ds.SPLIT_FILES["train"]]
    assert tree(env["data_root"]) == before
    # Each file was asked from the 404 mirror, then the wrong one, then the good one.
    for filename in ds.SPLIT_FILES["train"]:
        asked = [p for p in server["seen"] if p.endswith(filename)]
        assert asked == [f"/missing/{filename}", f"/bad/{filename}", f"/good/{filename}"]
    # The second load finds the cached copy and asks nothing.
    count = len(server["seen"])
    ds.load_mnist("train", mirrors=mirrors)
    assert len(server["seen"]) == count


def test_default_mirror_table_is_used(env, server, monkeypatch):
    monkeypatch.setitem(dl.MIRRORS, "mnist", [closed_port_url("mnist/"), f"{server['base']}/good/"])
    images, _ = ds.load_mnist("test")
    assert images.shape == (5, 28, 28)
    assert (env["cache"] / "mnist" / "t10k-images-idx3-ubyte.gz").is_file()


def test_only_missing_files_are_downloaded(env, server):
    write_split_files(env["cache"] / "mnist")
    (env["cache"] / "mnist" / "t10k-labels-idx1-ubyte.gz").unlink()
    ds.load_mnist("test", mirrors=[f"{server['base']}/good/"])
    assert server["seen"] == ["/good/t10k-labels-idx1-ubyte.gz"]


def test_download_goes_into_a_writable_root(env, server, tmp_path):
    ds.load_mnist("test", root=tmp_path / "mine", mirrors=[f"{server['base']}/good/"])
    assert tree(tmp_path / "mine") == ["mnist"] + sorted(f"mnist/{f}" for f in ds.SPLIT_FILES["test"])
    assert not env["cache"].exists()


def test_root_that_is_the_dataset_folder_receives_the_files_directly(env, server, tmp_path):
    ds.load_mnist("test", root=tmp_path / "mnist", mirrors=[f"{server['base']}/good/"])
    assert tree(tmp_path / "mnist") == sorted(ds.SPLIT_FILES["test"])


def test_unwritable_root_falls_back_to_the_cache(env, server, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    ds.load_mnist("test", root=blocker / "sub", mirrors=[f"{server['base']}/good/"])
    assert (env["cache"] / "mnist" / "t10k-labels-idx1-ubyte.gz").is_file()


def test_offline_error_lists_every_place_and_mirror(env, server):
    dead = closed_port_url("mnist/")
    missing = f"{server['base']}/missing/"
    with pytest.raises(ds.DataNotFoundError) as info:
        ds.load_mnist("train", mirrors=[dead, missing])
    err = info.value
    message = str(err)
    assert isinstance(err, FileNotFoundError)
    assert err.__cause__ is None and err.__suppress_context__
    assert "MNIST (train split) is not on this machine" in message
    assert str(env["data_root"] / "mnist") in message  # $INFOGAN_EDU_DATA
    assert str(env["cache"] / "mnist") in message  # user cache
    assert f"{dead}train-images-idx3-ubyte.gz: [Errno 111] Connection refused" in message
    assert f"{missing}train-images-idx3-ubyte.gz: HTTP 404" in message
    assert "set INFOGAN_EDU_DATA to a folder that contains mnist/" in message and "root=" in message
    assert "Traceback" not in message and len(message.splitlines()) < 15
    # No temporary file left behind and nothing written beside the data root.
    assert not env["cache"].exists()  # the folders made for the download were removed again
    assert tree(env["data_root"]) == ["fashion-mnist"]


def test_only_wrong_copies_online_is_an_error(env, server):
    with pytest.raises(ds.DataNotFoundError, match=r"/bad/t10k-images-idx3-ubyte.gz: wrong content"):
        ds.load_mnist("test", mirrors=[f"{server['base']}/bad/"])
    assert not env["cache"].exists()  # the folders made for the download were removed again


def test_default_mirrors_are_public_and_plural():
    for name in ds.DATASETS:
        assert len(dl.MIRRORS[name]) >= 2
        assert all(url.startswith(("http://", "https://")) and url.endswith("/") for url in dl.MIRRORS[name])


def test_short_error_summaries():
    import requests

    long = (
        "HTTPSConnectionPool(host='example.invalid', port=443): Max retries exceeded with url: /x "
        "(Caused by NameResolutionError(\"<urllib3.connection.HTTPSConnection object at 0x7f>: Failed to "
        "resolve 'example.invalid' ([Errno -2] Name or service not known)\"))"
    )
    assert dl._short_error(requests.ConnectionError(long)) == "[Errno -2] Name or service not known"
    assert dl._short_error(requests.ConnectTimeout("whatever")).startswith("timed out after")
    assert dl._short_error(RuntimeError("x" * 500)).startswith("RuntimeError: xxx")
    assert len(dl._short_error(RuntimeError("x" * 500))) < 140
