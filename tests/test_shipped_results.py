"""What the lessons read ships with the package: an installed copy, outside a clone, finds every result and
checkpoint a lesson or exercise asks for."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from infogan_edu import results
from infogan_edu.pretrained import available_pretrained

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "exercises" / "solutions").glob("*.ipynb"))


def _code(path: Path) -> str:
    return "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")


def test_the_accessor_reads_a_result_and_names_what_exists() -> None:
    study = results.load("seed-study-cpu")
    assert len(study["runs"]) == 16 and {"accuracy", "seed"} <= set(study["runs"][0])
    assert "seed-study-cpu" in results.available()
    with pytest.raises(FileNotFoundError, match="no shipped result named 'nope' in .*; available: .*seed-study-cpu"):
        results.load("nope")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_result_and_checkpoint_a_notebook_reads_ships_with_the_package(path: Path) -> None:
    code = _code(path)
    assert "benchmarks/results" not in code and '"benchmarks"' not in code, "read it with infogan_edu.results"
    for name in re.findall(r'load_result\("([^"]+)"\)', code):
        assert name in results.available(), name
    for name in re.findall(r'load_pretrained\("([^"]+)"', code):
        assert name in available_pretrained(), name


@pytest.mark.slow
def test_the_wheel_carries_the_results_and_checkpoints(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy, so that the build leaves nothing in the work tree
    shutil.copytree(ROOT / "infogan_edu", source / "infogan_edu", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path)]
    subprocess.run([*cmd, str(source)], check=True, capture_output=True, cwd=tmp_path)  # offline: the venv's backend
    (wheel,) = tmp_path.glob("infogan_edu-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in results.available():
        assert f"infogan_edu/results/{name}.json" in names, name
    for name in available_pretrained():
        assert f"infogan_edu/checkpoints/{name}.pt" in names and f"infogan_edu/checkpoints/{name}.pt.json" in names
