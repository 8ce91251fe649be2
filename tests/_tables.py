"""Reading the Markdown tables the benchmarks print, whatever their padding (benchmarks/_record.py lays them out)."""

from __future__ import annotations

import re


def table_rows(text: str) -> list[list[str]]:
    """The cells of every table row in `text`, stripped of padding: header rows included, "|---|" rows left out."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and line.rstrip().endswith("|"):
            cells = [c.strip() for c in line.strip()[1:-1].split("|")]
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                rows.append(cells)
    return rows


def has_row(text: str, *cells: str) -> bool:
    """Whether a table row of `text` starts with `cells`."""
    return any(row[: len(cells)] == list(cells) for row in table_rows(text))
