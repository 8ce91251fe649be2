"""The measured results the lessons and exercises read, shipped inside the package so that an installed copy runs
them outside a clone of the repository.

Each file is the raw JSON a benchmark wrote (its command, machine and date inside); its home is here, and the
study that explains it is `benchmarks/results/<name>.md` in the repository. A benchmark that refreshes one writes
it here (`python benchmarks/seed_study.py ... --json infogan_edu/results/seed-study-cpu.json`).

>>> study = load("seed-study-cpu")
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["FOLDER", "available", "load", "path"]

FOLDER = Path(__file__).resolve().parent


def available() -> list[str]:
    """The names of the shipped results."""
    return sorted(p.stem for p in FOLDER.glob("*.json"))


def path(name: str) -> Path:
    """The file of the shipped result `name` (for example "seed-study-cpu"); a clear error if there is none."""
    file = FOLDER / f"{name}.json"
    if not file.is_file():
        raise FileNotFoundError(f"no shipped result named {name!r} in {FOLDER}; available: {', '.join(available())}")
    return file


def load(name: str) -> dict[str, Any]:
    """The shipped result `name`, parsed."""
    return json.loads(path(name).read_text(encoding="utf-8"))
