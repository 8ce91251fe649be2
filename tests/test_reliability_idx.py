"""The IDX reader under random headers, payloads and damaged gzip streams (property-based, plus the catalogue).

The oracle is `parse_idx_reference` (tests/reliability/idx.py), a second reading of the IDX specification written
with `struct`; a file is either read into exactly the array it describes, or refused with ONE IDXFormatError whose
message starts with the file's name.
"""

import gzip
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from infogan_edu.data.idx import IDXFormatError, read_idx, read_idx_bytes

from .reliability.catalogue import fault_class, run_class
from .reliability.idx import IDX_TYPES, NUMPY_MAX_DIMS, IdxCase, check_idx_case, parse_idx_reference

# Reproducible in CI (derandomize), and nothing written into the repository: no example database, and hypothesis's
# other files (its cache of constants) go to the temporary folder instead of ./.hypothesis.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "infogan-edu-hypothesis")
PROPERTY = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

small_dim = st.integers(0, 5)
huge_dim = st.sampled_from([65536, 2**31, 2**32 - 1])
cases = st.builds(
    IdxCase,
    magic=st.one_of(st.just((0, 0)), st.tuples(st.integers(0, 255), st.integers(0, 255))),
    code=st.one_of(st.sampled_from(sorted(IDX_TYPES)), st.integers(0, 255)),
    dims=st.lists(st.one_of(small_dim, small_dim, small_dim, huge_dim), max_size=6).map(tuple),
    ndim=st.integers(0, 8) | st.integers(0, 255),
    payload_delta=st.one_of(st.just(0), st.integers(-64, 16)),
    header_cut=st.one_of(st.none(), st.integers(0, 40)),
    gz=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)


@pytest.mark.slow
@PROPERTY
@given(case=cases)
def test_random_headers_give_the_right_array_or_one_error_naming_the_file(case, tmp_path) -> None:
    out = check_idx_case(case, tmp_path)
    assert out.handled, out.note


@pytest.mark.slow
@PROPERTY
@given(
    n=st.integers(1, 4),
    damage=st.lists(
        st.tuples(st.sampled_from(["flip", "cut", "tail"]), st.integers(0, 10**6), st.integers(1, 255)),
        min_size=1,
        max_size=3,
    ),
)
def test_damaged_gzip_streams_are_refused_or_harmless(n, damage, tmp_path) -> None:
    array = np.arange(n * 28 * 28, dtype=np.uint8).reshape(n, 28, 28)
    raw = bytearray(gzip.compress(bytes([0, 0, 8, 3]) + struct.pack(">3I", n, 28, 28) + array.tobytes(), mtime=0))
    for kind, where, value in damage:
        if kind == "flip" and raw:
            raw[where % len(raw)] ^= value
        elif kind == "cut":
            raw = raw[: where % max(1, len(raw))]
        else:
            raw += bytes([value]) * (where % 7 + 1)
    path = tmp_path / "damaged.gz"
    path.write_bytes(bytes(raw))
    try:
        got = read_idx(path)
    except IDXFormatError as e:
        assert str(e).startswith("damaged.gz: ") and "\n" not in str(e)
        return
    np.testing.assert_array_equal(got, array)  # accepted only when the change carried no data (e.g. gzip's OS byte)


def test_a_shape_whose_product_overflows_64_bits_is_refused_not_crashed() -> None:
    # 65536**4 == 2**64: numpy's int64 product wrapped round to 0, which matched an empty payload, and the reshape
    # then failed with a bare ValueError that named no file
    data = bytes([0, 0, 8, 4]) + struct.pack(">4I", 65536, 65536, 65536, 65536)
    with pytest.raises(IDXFormatError, match=r"^big\.idx: payload is 18,446,744,073,709,551,616 bytes short"):
        read_idx_bytes(data, "big.idx")


def test_more_dimensions_than_numpy_holds_is_one_idx_error() -> None:
    ndim = NUMPY_MAX_DIMS + 1
    data = bytes([0, 0, 8, ndim]) + struct.pack(f">{ndim}I", *([0] + [1] * (ndim - 1)))  # valid IDX, empty
    with pytest.raises(IDXFormatError, match=r"^many\.idx: numpy cannot hold an array of the declared shape"):
        read_idx_bytes(data, "many.idx")


def test_empty_arrays_with_huge_dimensions_are_refused() -> None:
    data = bytes([0, 0, 8, 3]) + struct.pack(">3I", 0, 2**32 - 1, 2**32 - 1)  # size 0, but no index type fits
    with pytest.raises(IDXFormatError, match="numpy cannot hold"):
        read_idx_bytes(data, "e.idx")
    assert parse_idx_reference(data) is None


def test_the_reference_parser_reads_a_known_file() -> None:
    # the oracle itself, against hand-written bytes: int16 [[1, -2, 3]]
    data = bytes([0, 0, 0x0B, 2, 0, 0, 0, 1, 0, 0, 0, 3]) + b"\x00\x01\xff\xfe\x00\x03"
    assert parse_idx_reference(data) == ((1, 3), ">i2", b"\x00\x01\xff\xfe\x00\x03")
    assert read_idx_bytes(data).tolist() == [[1, -2, 3]]
    assert parse_idx_reference(data[:-1]) is None and parse_idx_reference(b"\x01" + data[1:]) is None


@pytest.mark.parametrize("name, trials", [("idx-header", 300), ("idx-gzip-damage", 200)])
def test_catalogue(name: str, trials: int) -> None:
    handled, lost, notes = run_class(fault_class(name), trials)
    assert (handled, lost) == (trials, 0), notes[:5]
