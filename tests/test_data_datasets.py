"""Finding and verifying local copies of MNIST / Fashion-MNIST (no network: see test_data_download.py)."""

import gzip
import hashlib
import os
import socket
from pathlib import Path

import numpy as np
import pytest

from infogan_edu.data import datasets as ds
from infogan_edu.data import download as dl
from infogan_edu.data.idx import IDXFormatError, write_idx

DEFAULT_SYSTEM_DIRS = dict(ds.SYSTEM_DIRS)  # read before any fixture replaces it
REAL_SPLITS = [(name, split) for name in ("mnist", "fashion-mnist") for split in ("train", "test")]


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No real cache, no env data folder, a fake system folder, and mirrors that cannot answer."""
    monkeypatch.delenv(ds.DATA_ENV, raising=False)
    monkeypatch.setenv(dl.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(ds, "SYSTEM_DIRS", {"mnist": [], "fashion-mnist": [str(tmp_path / "system")]})
    monkeypatch.setattr(dl, "MIRRORS", {"mnist": [_closed_port_url()], "fashion-mnist": [_closed_port_url()]})
    monkeypatch.setattr(dl, "PROGRESSBAR", False)


def fake_split_arrays(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8)


def write_fake(folder: Path, gz: bool = True, compresslevel: int = 6) -> dict[str, bytes]:
    """Write the four files of a tiny fake dataset into ``folder``; return their uncompressed bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    payloads = {}
    for split, n in (("train", 12), ("test", 5)):
        images, labels = fake_split_arrays(n, seed=n)
        for filename, array in zip(ds.SPLIT_FILES[split], (images, labels), strict=True):
            name = filename if gz else filename.removesuffix(".gz")
            path = write_idx(array, folder / name, compresslevel=compresslevel)
            payloads[filename] = gzip.decompress(path.read_bytes()) if gz else path.read_bytes()
    return payloads


@pytest.fixture
def fake_hashes(tmp_path, monkeypatch):
    """Register the fake dataset's payload hashes for both dataset names."""
    payloads = write_fake(tmp_path / "reference")
    hashes = {f: hashlib.sha256(p).hexdigest() for f, p in payloads.items()}
    for name in ds.DATASETS:
        monkeypatch.setitem(dl.SHA256, name, hashes)
    return hashes


def flip_one_payload_byte(path: Path) -> None:
    data = bytearray(gzip.decompress(path.read_bytes()))
    data[-1] ^= 0x01
    path.write_bytes(gzip.compress(bytes(data)))


# --- arguments --------------------------------------------------------------------------------


def test_bad_split_names_valid_values():
    with pytest.raises(ValueError, match=r"'train', 'test'"):
        ds.load_mnist("validation")


def test_bad_name_names_valid_values():
    with pytest.raises(ValueError, match=r"'mnist', 'fashion-mnist'"):
        ds.load_dataset("cifar10")


def test_name_is_normalised(tmp_path, fake_hashes):
    write_fake(tmp_path / "r" / "fashion-mnist")
    images, _ = ds.load_dataset("Fashion_MNIST", "test", root=tmp_path / "r")
    assert images.shape == (5, 28, 28)


# --- where to look ----------------------------------------------------------------------------


def test_candidate_order_is_root_env_cache_system(tmp_path, monkeypatch):
    monkeypatch.setenv(ds.DATA_ENV, str(tmp_path / "env"))
    found = ds.candidate_dirs("fashion-mnist", root=tmp_path / "root")
    assert [(loc.source, loc.folder) for loc in found] == [
        ("root= argument", tmp_path / "root" / "fashion-mnist"),
        ("$INFOGAN_EDU_DATA", tmp_path / "env" / "fashion-mnist"),
        ("user cache", tmp_path / "cache" / "fashion-mnist"),
        ("system folder", tmp_path / "system"),
    ]
    assert [loc.download_target for loc in found] == [True, False, True, False]


def test_default_cache_is_pooch_os_cache(monkeypatch):
    import pooch

    monkeypatch.delenv(dl.CACHE_ENV)
    assert dl.cache_dir() == Path(pooch.os_cache("infogan_edu")).expanduser()


def test_default_system_folder_is_debians():
    assert DEFAULT_SYSTEM_DIRS["fashion-mnist"] == ["/usr/share/datasets/fashion-mnist"]


def test_root_may_be_the_dataset_folder_itself(tmp_path):
    found = ds.candidate_dirs("mnist", root=tmp_path / "mnist")
    assert [loc.folder for loc in found[:2]] == [tmp_path / "mnist" / "mnist", tmp_path / "mnist"]
    assert [loc.download_target for loc in found[:2]] == [False, True]  # no mnist/mnist/ is made


def test_search_order_root_then_env_then_cache_then_system(tmp_path, monkeypatch):
    root, env, cache, system = (tmp_path / d for d in ("root", "env", "cache", "system"))
    monkeypatch.setenv(ds.DATA_ENV, str(env))
    write_fake(root / "fashion-mnist")
    write_fake(env / "fashion-mnist")
    write_fake(cache / "fashion-mnist")
    write_fake(system)  # Debian layout: the files directly in the folder
    assert ds.find_dataset("fashion-mnist", root=root) == root / "fashion-mnist"
    assert ds.find_dataset("fashion-mnist") == env / "fashion-mnist"
    monkeypatch.delenv(ds.DATA_ENV)
    assert ds.find_dataset("fashion-mnist") == cache / "fashion-mnist"
    for f in (cache / "fashion-mnist").iterdir():
        f.unlink()
    assert ds.find_dataset("fashion-mnist") == system
    assert ds.find_dataset("mnist") is None  # MNIST has no system folder
    assert ds.available_datasets() == {"mnist": None, "fashion-mnist": str(system)}


def test_loading_uses_the_first_location(tmp_path, monkeypatch, fake_hashes):
    """A good copy under root= wins over a corrupt one in $INFOGAN_EDU_DATA, which is used without root."""
    monkeypatch.setenv(ds.DATA_ENV, str(tmp_path / "env"))
    write_fake(tmp_path / "root" / "mnist")
    write_fake(tmp_path / "env" / "mnist")
    flip_one_payload_byte(tmp_path / "env" / "mnist" / "train-images-idx3-ubyte.gz")
    images, labels = ds.load_mnist("train", root=tmp_path / "root")
    np.testing.assert_array_equal(images, fake_split_arrays(12, seed=12)[0])
    with pytest.raises(dl.ChecksumError, match=str(tmp_path / "env" / "mnist" / "train-images")):
        ds.load_mnist("train")


def test_named_folders_load_without_pooch(tmp_path, monkeypatch, fake_hashes):
    """Data in root= or $INFOGAN_EDU_DATA loads without looking up the user cache (pooch, only for downloads)."""
    import sys

    monkeypatch.delenv(dl.CACHE_ENV)
    monkeypatch.setitem(sys.modules, "pooch", None)  # `import pooch` now raises ImportError
    write_fake(tmp_path / "env" / "mnist")
    monkeypatch.setenv(ds.DATA_ENV, str(tmp_path / "env"))
    assert ds.load_mnist("test")[0].shape == (5, 28, 28)
    with pytest.raises(ImportError):  # the full search list does need it, so the test blocks it for real
        ds.candidate_dirs("mnist")


def test_debian_flat_layout_loads(tmp_path, fake_hashes):
    write_fake(tmp_path / "system")
    images, labels = ds.load_fashion_mnist("test", download=False)
    assert images.shape == (5, 28, 28) and labels.shape == (5,)


def test_uncompressed_files_are_accepted(tmp_path, fake_hashes):
    write_fake(tmp_path / "r" / "mnist", gz=False)
    images, labels = ds.load_mnist("train", root=tmp_path / "r", download=False)
    np.testing.assert_array_equal(labels, fake_split_arrays(12, seed=12)[1])


def test_find_dataset_does_not_download_or_create_folders(tmp_path):
    assert ds.available_datasets() == {"mnist": None, "fashion-mnist": None}
    assert not (tmp_path / "cache").exists()


# --- verification -----------------------------------------------------------------------------


@pytest.mark.parametrize("level", [1, 9])
def test_recompressed_copy_is_accepted(tmp_path, fake_hashes, level):
    write_fake(tmp_path / "r" / "mnist", compresslevel=level)
    images, labels = ds.load_mnist("train", root=tmp_path / "r", download=False)
    assert images.shape == (12, 28, 28)


def test_flipped_byte_is_rejected_naming_the_file(tmp_path, fake_hashes):
    folder = tmp_path / "r" / "mnist"
    write_fake(folder)
    bad = folder / "t10k-labels-idx1-ubyte.gz"
    flip_one_payload_byte(bad)
    actual = hashlib.sha256(gzip.decompress(bad.read_bytes())).hexdigest()
    with pytest.raises(dl.ChecksumError) as info:
        ds.load_mnist("test", root=tmp_path / "r", download=False)
    message = str(info.value)
    assert str(bad) in message
    assert fake_hashes["t10k-labels-idx1-ubyte.gz"] in message and actual in message
    assert "Delete it and download it again" in message
    assert isinstance(info.value, ValueError)


def test_file_changed_after_a_good_load_is_checked_again(tmp_path, fake_hashes):
    folder = tmp_path / "r" / "mnist"
    write_fake(folder)
    ds.load_mnist("test", root=tmp_path / "r", download=False)
    path = folder / "t10k-images-idx3-ubyte.gz"
    stat = path.stat()
    flip_one_payload_byte(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    with pytest.raises(dl.ChecksumError):
        ds.load_mnist("test", root=tmp_path / "r", download=False)


def test_verification_is_cached_per_process(tmp_path, fake_hashes, monkeypatch):
    write_fake(tmp_path / "r" / "mnist")
    ds.load_mnist("test", root=tmp_path / "r", download=False)
    calls = []
    monkeypatch.setattr(dl, "_sha256", lambda data: calls.append(1) or hashlib.sha256(data).hexdigest())
    ds.load_mnist("test", root=tmp_path / "r", download=False)
    assert calls == []


def test_truncated_local_file_is_a_clear_error(tmp_path, fake_hashes):
    folder = tmp_path / "r" / "mnist"
    write_fake(folder)
    path = folder / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(IDXFormatError, match="train-images-idx3-ubyte.gz: the gzip stream ends early"):
        ds.load_mnist("train", root=tmp_path / "r", download=False)


def test_mismatched_labels_are_rejected(tmp_path, monkeypatch):
    folder = tmp_path / "r" / "mnist"
    folder.mkdir(parents=True)
    images = write_idx(np.zeros((4, 28, 28), np.uint8), folder / "t10k-images-idx3-ubyte.gz")
    labels = write_idx(np.zeros(3, np.uint8), folder / "t10k-labels-idx1-ubyte.gz")
    hashes = {p.name: hashlib.sha256(gzip.decompress(p.read_bytes())).hexdigest() for p in (images, labels)}
    monkeypatch.setitem(dl.SHA256, "mnist", hashes)
    with pytest.raises(IDXFormatError, match="expected 4 uint8 labels"):
        ds.load_mnist("test", root=tmp_path / "r", download=False)


def test_nothing_found_and_download_off(tmp_path, monkeypatch):
    monkeypatch.setenv(ds.DATA_ENV, str(tmp_path / "env"))
    with pytest.raises(ds.DataNotFoundError) as info:
        ds.load_mnist("test", download=False)
    message = str(info.value)
    assert str(tmp_path / "env" / "mnist") in message and str(tmp_path / "cache" / "mnist") in message
    assert "download=False" in message
    assert not (tmp_path / "cache").exists() and not (tmp_path / "env").exists()


# --- the real files ---------------------------------------------------------------------------


# read when the module is imported: the autouse fixture `isolated` removes the variable from each test's environment
_REAL_DATA_ENV = os.environ.get("INFOGAN_EDU_DATA")


def _real_data_root() -> Path:
    return Path(_REAL_DATA_ENV) if _REAL_DATA_ENV else Path(__file__).resolve().parents[2] / "shared" / "data"


# MD5 of the official files' *uncompressed* bytes, as published with many loaders of the official releases
PUBLISHED_MD5 = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte.gz": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels-idx1-ubyte.gz": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images-idx3-ubyte.gz": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels-idx1-ubyte.gz": "15d484375f8d13e6eb1aabb0c3f46965",
    },
}


@pytest.mark.parametrize("name", ds.DATASETS)
def test_sha256_table_describes_the_official_files(name):
    """The files that pass our SHA-256 check are byte for byte the official ones (published MD5s)."""
    folder = ds.find_dataset(name, root=_real_data_root())
    if folder is None:
        pytest.skip(f"the real {name} files were not found under {_real_data_root()} (set INFOGAN_EDU_DATA)")
    for filename in ds.ALL_FILES:
        payload = gzip.decompress((folder / filename).read_bytes())
        assert hashlib.sha256(payload).hexdigest() == dl.SHA256[name][filename], filename
        assert hashlib.md5(payload).hexdigest() == PUBLISHED_MD5[name][filename], filename


@pytest.mark.parametrize("name,split", REAL_SPLITS)
def test_real_files(name, split):
    """The class-count table the library ships, against the labels of the official files (checked by MD5 above)."""
    root = _real_data_root()
    if ds.find_dataset(name, root=root) is None:
        pytest.skip(f"the real {name} files were not found at {root / name} (set INFOGAN_EDU_DATA)")
    images, labels = ds.load_dataset(name, split, root=root, download=False)
    n = 60000 if split == "train" else 10000
    assert images.shape == (n, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (n,) and labels.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == list(ds.CLASS_COUNTS[name][split])
    assert 0 < images.mean() < 255 and images.max() == 255


def test_real_files_through_the_environment_variable(monkeypatch):
    root = _real_data_root()
    if ds.find_dataset("mnist", root=root) is None:
        pytest.skip(f"the real mnist files were not found at {root / 'mnist'} (set INFOGAN_EDU_DATA)")
    monkeypatch.setenv(ds.DATA_ENV, str(root))
    assert ds.available_datasets()["mnist"] == str(root / "mnist")
    images, labels = ds.load_mnist("test")
    assert images.shape == (10000, 28, 28) and labels[:5].tolist() == [7, 2, 1, 0, 4]
