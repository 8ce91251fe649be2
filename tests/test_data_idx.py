"""The IDX reader: round trips, and a clear error for every kind of damaged file."""

import gzip

import numpy as np
import pytest

from infogan_edu.data.idx import IDXFormatError, read_idx, read_idx_bytes, write_idx


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip_every_dtype(tmp_path, dtype, suffix):
    rng = np.random.default_rng(0)
    array = (rng.standard_normal((3, 4, 5)) * 100).astype(dtype)
    path = write_idx(array, tmp_path / f"a-idx3{suffix}")
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype).newbyteorder("=")
    assert back.dtype.isnative
    np.testing.assert_array_equal(back, array)
    assert back.flags.writeable


def test_header_layout_follows_the_spec(tmp_path):
    path = write_idx(np.arange(6, dtype=np.int16).reshape(2, 3), tmp_path / "x")
    raw = path.read_bytes()
    assert raw[:4] == bytes([0, 0, 0x0B, 2])
    assert raw[4:12] == (2).to_bytes(4, "big") + (3).to_bytes(4, "big")
    assert raw[12:14] == (0).to_bytes(2, "big") and raw[14:16] == (1).to_bytes(2, "big")  # big-endian


def test_gzip_is_detected_by_content_not_name(tmp_path):
    array = np.arange(10, dtype=np.uint8)
    gz = tmp_path / "labels-without-suffix"
    gz.write_bytes(gzip.compress(write_idx(array, tmp_path / "plain").read_bytes()))
    np.testing.assert_array_equal(read_idx(gz), array)


def test_one_dimensional_and_empty_arrays(tmp_path):
    vector = read_idx(write_idx(np.arange(7, dtype=np.uint8), tmp_path / "a"))
    np.testing.assert_array_equal(vector, np.arange(7))
    empty = read_idx(write_idx(np.zeros((0, 28, 28), np.uint8), tmp_path / "b"))
    assert empty.shape == (0, 28, 28)


def test_write_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(TypeError, match="int64"):
        write_idx(np.arange(3, dtype=np.int64), tmp_path / "x")


def _images_bytes() -> bytes:
    header = bytes([0, 0, 0x08, 3]) + np.array([2, 28, 28], ">u4").tobytes()
    return header + bytes(2 * 28 * 28)


def test_valid_bytes_parse():
    assert read_idx_bytes(_images_bytes(), "ok").shape == (2, 28, 28)


def test_error_is_a_value_error():
    assert issubclass(IDXFormatError, ValueError)


def test_wrong_magic():
    data = b"\x01\x00" + _images_bytes()[2:]
    with pytest.raises(IDXFormatError, match=r"^weird-file: bad magic number"):
        read_idx_bytes(data, "weird-file")


def test_wrong_dtype_code():
    data = bytearray(_images_bytes())
    data[2] = 0x0A
    with pytest.raises(IDXFormatError, match=r"weird-file: unknown dtype code 0x0A"):
        read_idx_bytes(bytes(data), "weird-file")


def test_payload_too_short_names_the_file_and_the_shortfall():
    data = _images_bytes()[:-4]
    with pytest.raises(IDXFormatError) as info:
        read_idx_bytes(data, "train-images-idx3-ubyte.gz")
    assert str(info.value) == (
        "train-images-idx3-ubyte.gz: payload is 4 bytes short of the 1,568 its header declares; "
        "the file is truncated or corrupt; delete it and download again"
    )


def test_payload_too_long():
    with pytest.raises(IDXFormatError, match=r"x\.gz: payload has 3 bytes more than the 1,568"):
        read_idx_bytes(_images_bytes() + b"abc", "x.gz")


@pytest.mark.parametrize("cut", [0, 2, 4, 9])
def test_truncated_header(cut):
    with pytest.raises(IDXFormatError, match="short|only"):
        read_idx_bytes(_images_bytes()[:cut], "cut")


def random_images(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (50, 28, 28), dtype=np.uint8)


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.99])
def test_truncated_gzip_stream_is_a_clear_error(tmp_path, keep):
    path = write_idx(random_images(1), tmp_path / "t.gz")
    raw = path.read_bytes()
    path.write_bytes(raw[: int(len(raw) * keep)])
    expected = r"^t\.gz: the gzip stream .*delete it and download again$"
    with pytest.raises(IDXFormatError, match=expected) as info:
        read_idx(path)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_damaged_gzip_body_is_a_clear_error(tmp_path):
    path = write_idx(random_images(2), tmp_path / "d.gz")
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(IDXFormatError, match=r"^d\.gz: "):
        read_idx(path)


def test_never_returns_a_short_array_from_a_cut_plain_file(tmp_path):
    path = write_idx(np.zeros((5, 28, 28), np.uint8), tmp_path / "plain-idx3-ubyte")
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(IDXFormatError, match="plain-idx3-ubyte: payload is 1 bytes short"):
        read_idx(path)
