"""IDX files: random headers and payloads, and damaged gzip streams, against a second reading of the format.

The format is written out again here from the specification (not imported), so that the oracle is independent: a
file is read into exactly the array `parse_idx_reference` describes, or refused with ONE IDXFormatError whose
message starts with the file's name.
"""

from __future__ import annotations

import gzip
import math
import random
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from infogan_edu.data.idx import IDXFormatError, read_idx

from .common import Outcome, one_line

IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
NUMPY_MAX_DIMS = 64 if int(np.__version__.split(".")[0]) >= 2 else 32


@dataclass
class IdxCase:
    magic: tuple[int, int]
    code: int
    dims: tuple[int, ...]
    ndim: int  # may disagree with len(dims): the header then declares more dims than it holds
    payload_delta: int  # bytes added to (or cut from) the payload the header declares
    header_cut: int | None  # cut the file inside the header, at this byte
    gz: bool
    seed: int

    def build(self) -> bytes:
        """The file content before gzip: header (maybe cut), then a payload of the declared size plus delta."""
        header = bytes([self.magic[0], self.magic[1], self.code, self.ndim])
        header += b"".join(struct.pack(">I", d) for d in self.dims[: self.ndim])
        declared = math.prod(self.dims[: self.ndim]) * int(IDX_TYPES.get(self.code, ">u1")[-1])
        n = max(0, (declared if declared < 1 << 20 else 0) + self.payload_delta)
        content = header + random.Random(self.seed).randbytes(n)
        return content if self.header_cut is None else content[: min(self.header_cut, len(header))]


def parse_idx_reference(content: bytes) -> tuple[tuple[int, ...], str, bytes] | None:
    """An independent reading of the specification with `struct`: (shape, dtype, payload), or None when the
    file must be refused (including shapes numpy cannot hold: too many dimensions, or a size that overflows
    its index type even when a zero dimension makes the array empty)."""
    if len(content) < 4 or content[:2] != b"\x00\x00" or content[2] not in IDX_TYPES:
        return None
    ndim = content[3]
    if len(content) < 4 + 4 * ndim:
        return None
    dims = struct.unpack_from(f">{ndim}I", content, 4)
    itemsize = int(IDX_TYPES[content[2]][-1])
    payload = content[4 + 4 * ndim :]
    if len(payload) != math.prod(dims) * itemsize or ndim > NUMPY_MAX_DIMS:
        return None
    if math.prod(d for d in dims if d) * itemsize >= 2**63:
        return None
    return dims, IDX_TYPES[content[2]], payload


def random_idx_case(rng: random.Random) -> IdxCase:
    ndim = rng.randint(0, 4) if rng.random() < 0.85 else rng.randint(0, 255)
    huge = [65536, 2**31, 2**32 - 1]
    dims = tuple(rng.randint(0, 5) if rng.random() < 0.9 else rng.choice(huge) for _ in range(ndim))
    return IdxCase(
        magic=(0, 0) if rng.random() < 0.8 else (rng.randrange(256), rng.randrange(256)),
        code=rng.choice(list(IDX_TYPES)) if rng.random() < 0.8 else rng.randrange(256),
        dims=dims,
        ndim=ndim if rng.random() < 0.9 else min(255, ndim + rng.randint(1, 3)),
        payload_delta=0 if rng.random() < 0.5 else rng.randint(-64, 16),
        header_cut=None if rng.random() < 0.9 else rng.randint(0, 4 + 4 * ndim),
        gz=rng.random() < 0.5,
        seed=rng.randrange(2**32),
    )


def check_idx_case(case: IdxCase, work: Path) -> Outcome:
    content = case.build()
    expected = parse_idx_reference(content)
    path = work / ("case.idx.gz" if case.gz else "case.idx")
    path.write_bytes(gzip.compress(content, mtime=0) if case.gz else content)
    return check_idx_file(path, expected)


def check_idx_file(path: Path, expected: tuple[tuple[int, ...], str, bytes] | None) -> Outcome:
    try:
        array = read_idx(path)
    except IDXFormatError as e:
        ok = expected is None and str(e).startswith(f"{path.name}: ") and one_line(str(e))
        return Outcome(ok, note="" if ok else f"refused a valid file or unclear message: {e}")
    except Exception as e:  # any other exception type is a failure of the promise
        return Outcome(False, note=f"{type(e).__name__}: {e}")
    if expected is None:
        return Outcome(False, lost=True, note=f"accepted a malformed file as shape {array.shape}")
    shape, dtype, payload = expected
    right = array.shape == shape and array.dtype == np.dtype(dtype).newbyteorder("=")
    right = right and array.astype(dtype).tobytes() == payload
    return Outcome(right, lost=not right, note="" if right else "wrong array returned")


def trial_idx_header(rng: random.Random, work: Path) -> Outcome:
    return check_idx_case(random_idx_case(rng), work)


def trial_idx_gzip(rng: random.Random, work: Path) -> Outcome:
    array = np.random.default_rng(rng.randrange(2**32)).integers(0, 256, (rng.randint(1, 9), 28, 28), dtype=np.uint8)
    raw = bytearray(gzip.compress(bytes([0, 0, 8, 3]) + struct.pack(">3I", *array.shape) + array.tobytes(), mtime=0))
    damage = rng.choice(["flip", "cut", "tail"])
    if damage == "flip":
        for _ in range(rng.randint(1, 3)):
            raw[rng.randrange(len(raw))] ^= rng.randrange(1, 256)
    elif damage == "cut":
        raw = raw[: rng.randrange(len(raw))]
    else:
        raw += rng.randbytes(rng.randint(1, 32))
    path = work / "damaged.idx.gz"
    path.write_bytes(bytes(raw))
    try:
        got = read_idx(path)
    except IDXFormatError as e:
        ok = str(e).startswith(f"{path.name}: ") and one_line(str(e))
        return Outcome(ok, note="" if ok else str(e))
    except Exception as e:
        return Outcome(False, note=f"{type(e).__name__}: {e}")
    right = got.shape == array.shape and np.array_equal(got, array)  # a harmless change (gzip mtime byte...)
    return Outcome(right, lost=not right, note="" if right else f"{damage}: wrong array returned")
