"""Stored notebook outputs: executed, and free of errors, warnings and tracebacks."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# where a path in a stored output would name the machine that executed the notebook
MACHINE_PATHS = ("/work/", "/home/", "/root/", "/tmp/", "/Users/", "C:\\Users")
STORED = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "exercises" / "solutions").glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert (ROOT / "notebooks" / "00_setup.ipynb") in STORED


def test_lessons_are_numbered_in_order() -> None:
    # lessons are NN_name.ipynb, numbered from 00 without gaps; a short companion of lesson NN is NNb_name.ipynb,
    # sorted right after it; appendices are appendix_<letter>_name.ipynb
    names = [p.name for p in sorted((ROOT / "notebooks").glob("*.ipynb"))]
    assert all(n[:2].isdigit() or n.startswith("appendix_") for n in names), names
    lessons = [n for n in names if n[:2].isdigit() and n[2] == "_"]
    assert [name[:2] for name in lessons] == [f"{i:02d}" for i in range(len(lessons))]
    companions = [n for n in names if n[:2].isdigit() and n[2] != "_"]
    for name in companions:
        assert name[2].isalpha() and name[3] == "_", name
        assert names.index(name) == names.index(next(m for m in lessons if m[:2] == name[:2])) + 1, names


@pytest.mark.parametrize("path", STORED, ids=lambda p: str(p.relative_to(ROOT)))
def test_stored_outputs_are_clean(path: Path) -> None:
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    assert code and all(c.get("execution_count") for c in code), "store the notebook executed (nbval needs outputs)"
    for i, cell in enumerate(code):
        tags = cell.get("metadata", {}).get("tags", [])
        for out in cell.get("outputs", []):
            if out["output_type"] == "error":
                assert "raises-exception" in tags, f"code cell {i}: a stored error {out.get('ename')}"
                continue
            text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
            assert "Traceback" not in text, f"code cell {i}: a traceback in the stored output"
            assert "Warning" not in text, f"code cell {i}: a warning in the stored output: {text[:200]}"
            assert out.get("name") != "stderr" or "it/s" in text or "%|" in text, (
                f"code cell {i}: unexpected stderr output: {text[:200]}"
            )
            assert "image/svg+xml" not in out.get("data", {}), f"code cell {i}: store figures as PNG, not SVG"
            for root in MACHINE_PATHS:
                assert root not in text, f"code cell {i}: a machine-specific path ({root}...) in the stored output"


LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lessons_print_their_own_time_at_the_end(path: Path) -> None:
    # the set-up cell starts infogan_edu.clock.LessonClock; the last code cell prints its report, not compared by
    # nbval (a time differs on every run and machine)
    code = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    setup = "".join(code[0]["source"])
    assert "clock = LessonClock()" in setup, "the set-up cell should start clock = LessonClock()"
    last = code[-1]
    assert "clock.report()" in "".join(last["source"]), "the last code cell should print clock.report()"
    ignored = "nbval-ignore-output" in last.get("metadata", {}).get("tags", []) or "NBVAL_IGNORE_OUTPUT" in "".join(
        last["source"]
    )
    assert ignored, "the time differs on every machine: tag the cell nbval-ignore-output"
