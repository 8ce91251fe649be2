"""Read and write IDX files, the simple binary format MNIST and Fashion-MNIST are shipped in.

An IDX file is a 4-byte magic number, a list of dimensions, then the raw values:

====================  =========================================================
bytes                 meaning
====================  =========================================================
0, 1                  always ``0x00 0x00``
2                     dtype code (table ``IDX_DTYPES`` below)
3                     number of dimensions ``ndim``
4 .. 4 + 4 * ndim     each dimension as a big-endian unsigned 32-bit integer
rest                  the values, big-endian, in C (row-major) order
====================  =========================================================

The reader is strict on purpose: a truncated download must fail loudly with a message that
says what to do, never return a silently shortened array.  Files may be gzip-compressed
(detected from the gzip magic bytes, not the file name).
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np

__all__ = [
    "IDX_DTYPES",
    "IDXFormatError",
    "decompress_bytes",
    "read_file_bytes",
    "read_idx",
    "read_idx_bytes",
    "write_idx",
]

# dtype code -> big-endian numpy dtype, as listed in the IDX specification.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"
_ADVICE = "the file is truncated or corrupt; delete it and download again"


class IDXFormatError(ValueError):
    """An IDX file (or its gzip wrapper) is malformed: the message names the file and the problem."""


def decompress_bytes(raw: bytes, name: str) -> bytes:
    """Return ``raw`` gunzipped if it starts with the gzip magic bytes, else unchanged.

    A damaged gzip stream (cut short, bad CRC, garbage) raises :class:`IDXFormatError`
    naming ``name`` instead of the low-level ``EOFError`` / ``zlib.error``.
    """
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except EOFError:
        problem = "the gzip stream ends early"
    except (zlib.error, gzip.BadGzipFile, OSError) as exc:
        problem = f"the gzip stream is damaged ({exc})"
    raise IDXFormatError(f"{name}: {problem}; {_ADVICE}") from None


def read_file_bytes(path: str | os.PathLike) -> bytes:
    """Read a file and return its uncompressed content (gzip is detected from the magic bytes)."""
    path = Path(path)
    return decompress_bytes(path.read_bytes(), path.name)


def read_idx_bytes(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse the uncompressed bytes of an IDX file into a native-endian, writable array.

    Args:
        data: the whole file content (header and payload), already decompressed.
        name: how to call the file in error messages (usually its file name).

    Raises:
        IDXFormatError: bad magic, unknown dtype code, truncated header, or a payload that is
            shorter or longer than the header declares.
    """
    if len(data) < 4:
        raise IDXFormatError(f"{name}: only {len(data)} bytes, too short for an IDX header; {_ADVICE}")
    if data[0] != 0 or data[1] != 0:
        raise IDXFormatError(
            f"{name}: bad magic number (first two bytes are 0x{data[0]:02x} 0x{data[1]:02x}, "
            f"expected 0x00 0x00); this is not an IDX file"
        )
    code, ndim = data[2], data[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise IDXFormatError(f"{name}: unknown dtype code 0x{code:02X} (valid codes: {known})")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise IDXFormatError(
            f"{name}: header declares {ndim} dimensions but the file has only {len(data)} bytes; {_ADVICE}"
        )
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = math.prod(dims) * dtype.itemsize  # Python ints: np.prod would wrap around past 2**63
    actual = len(data) - header_len
    if actual < expected:
        raise IDXFormatError(
            f"{name}: payload is {expected - actual:,} bytes short of the {expected:,} its header "
            f"declares; {_ADVICE}"
        )
    if actual > expected:
        raise IDXFormatError(
            f"{name}: payload has {actual - expected:,} bytes more than the {expected:,} its header "
            f"declares; {_ADVICE}"
        )
    flat = np.frombuffer(data, dtype=dtype, count=expected // dtype.itemsize, offset=header_len)
    # astype to native byte order always copies, so the result is writable and owns its memory.
    flat = flat.astype(dtype.newbyteorder("="), copy=True)
    try:
        return flat.reshape(dims)
    except ValueError as e:  # more dimensions than numpy supports, or an empty array too big to index
        raise IDXFormatError(f"{name}: numpy cannot hold an array of the declared shape {dims} ({e})") from None


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (plain or ``.gz``) into a numpy array; see :func:`read_idx_bytes`."""
    path = Path(path)
    return read_idx_bytes(read_file_bytes(path), path.name)


def write_idx(array: np.ndarray, path: str | os.PathLike, compresslevel: int = 6) -> Path:
    """Write ``array`` as an IDX file; gzip-compressed when ``path`` ends in ``.gz``.

    Used to build small fixtures for tests and offline demos.  The dtype must be one the format
    supports (uint8, int8, int16, int32, float32, float64).
    """
    array = np.asarray(array)
    wanted = (array.dtype.kind, array.dtype.itemsize)
    codes = [c for c, dt in IDX_DTYPES.items() if (dt.kind, dt.itemsize) == wanted]
    if not codes:
        raise TypeError(f"IDX cannot store {array.dtype}; use uint8, int8, int16, int32, float32 or float64")
    code = codes[0]
    dtype = IDX_DTYPES[code]
    if array.ndim > 255:
        raise ValueError("IDX stores at most 255 dimensions")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    content = header + np.ascontiguousarray(array, dtype=dtype).tobytes()
    path = Path(path)
    if path.suffix == ".gz":
        # mtime=0 keeps the compressed bytes reproducible.
        content = gzip.compress(content, compresslevel=compresslevel, mtime=0)
    path.write_bytes(content)
    return path
