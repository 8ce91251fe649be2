"""One way for every benchmark to write its raw output (the numbers, with the command, commit, machine and date)
and one way to print its Markdown tables."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from infogan_edu.config import machine_summary


@functools.cache  # the commit when the run started: a long run that writes its JSON often keeps recording that one
def git_commit() -> str:
    """The short hash of HEAD, with "+changes" when the work tree differs from it; "unknown" outside a clone."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


def provenance(script: str, argv: Sequence[str] | None = None) -> dict[str, str]:
    """command, commit, machine and date of this run of `script` (argv: its arguments; default sys.argv[1:])."""
    args = list(argv) if argv is not None else sys.argv[1:]
    return {
        "command": " ".join(["python", script, *args]),
        "commit": git_commit(),
        "machine": machine_summary(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def write_json(path: Path, payload: dict[str, Any], script: str, argv: Sequence[str] | None = None) -> Path:
    """Write {provenance..., **payload} to `path` as indented JSON; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")  # then renamed: a run stopped mid-write leaves the last whole file
    tmp.write_text(json.dumps({**provenance(script, argv), **payload}, indent=1) + "\n")
    os.replace(tmp, path)
    return path


def markdown_table(rows: Iterable[Sequence[object] | Mapping[str, object]], headers: Sequence[str]) -> str:
    """A GitHub-flavoured Markdown table of `rows` under `headers`, laid out by tabulate.

    A row is a sequence of cells in the order of `headers`, or a mapping read by header (a missing key is an empty
    cell). Every cell is written as `str(cell)`, like an f-string would: pass a number already formatted where the
    table wants a format ("0.955", "1.2x"); tabulate's own number parsing is off, so nothing is re-rounded, aligned
    on the decimal point or turned into "" (None prints as "None"). Only the padding is tabulate's.
    """
    from tabulate import tabulate  # from the [test] extra; imported here, so write_json needs only the runtime

    cells = []
    for row in rows:
        values = [row.get(h, "") for h in headers] if isinstance(row, Mapping) else list(row)
        if len(values) != len(headers):
            raise ValueError(f"a row of {len(values)} cells under {len(headers)} headers: {values!r}")
        cells.append([str(v) for v in values])
    return tabulate(cells, headers=[str(h) for h in headers], tablefmt="github", disable_numparse=True)
