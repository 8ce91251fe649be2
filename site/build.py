"""Build the course as a static web site from the notebooks' stored outputs (nothing is executed).

    python site/build.py                 # writes site/_build/html/index.html (what `make site` runs)
    python site/build.py --out DIR       # writes DIR/html/index.html

Steps: copy the lessons (notebooks/*.ipynb), the exercises (exercises/ex*.ipynb, the student copies
that scripts/exercise_copies.py makes) and their solutions into a staging folder, DIR/src; write the
index page (the lesson map) and the explorer page there; run Sphinx with myst-nb over it into
DIR/html. Everything the pages load is in DIR/html: MathJax is copied from the Python package
jupyter-server-mathjax, the theme (alabaster) and myst-nb's files come with their packages, and the
traversal explorer carries its frames inside the page. Nothing is fetched while building, and the
pages request nothing from any other host.

The lesson map takes each lesson's title, time and prerequisites from the notebook's own first
cell (its "# title" line, "**Time:** ..." and "**Prerequisites:** ..." sentences) and its CPU minutes
from the notebook's stored outputs: the cell that prints `clock.report()` (infogan_edu.clock.LessonClock)
holds the CPU and wall time of the very run whose outputs the page shows, so the time and the outputs
come from one run and there is nothing to keep in step by hand. A lesson whose stored output has no
clock line says "not measured".

Widgets that need a kernel (progress bars, the live TraversalExplorer) cannot run on a static page;
their stored output is replaced on the page (not in the notebook) by a sentence saying so.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(__file__).resolve().parent
NOTEBOOKS = ROOT / "notebooks"
CLOCK_CALL = re.compile(r"\bclock\.report\(\)")  # the source of the cell that prints the lesson's times
# LessonClock.report()'s line, as infogan_edu/clock.py writes it:
# "this notebook took 1.2 CPU min and 0.8 min of wall time, with 2 threads (the wall time grows ...)"
CLOCK_LINE = re.compile(
    r"this notebook took (?P<cpu>\d+\.\d) CPU min and (?P<wall>\d+\.\d) min of wall time, "
    r"with (?P<threads>\d+) threads?\b"
)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
PROGRESS_RE = re.compile(r"\d+%\|")  # tqdm's text form: "InfoGAN [cpu]:   0%|     | 0/1500"
EXPLORER_PAGE = "explorer"


# ------------------------------------------------------------------------------- the lesson map
def _sentence(text: str, label: str) -> str | None:
    """The sentence after "**<label>:**" in `text`, on one line, or None."""
    match = re.search(rf"\*\*{label}:\*\*\s*(.+?\.)(?=\s|$)", text, re.S)
    return " ".join(match.group(1).split()) if match else None


def notebook_summary(path: Path) -> dict:
    """Title, time and prerequisites of a notebook, read from its first markdown cell."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    first = next((c for c in nb["cells"] if c["cell_type"] == "markdown"), None)
    text = "".join(first["source"]) if first else ""
    title = re.search(r"^#\s+(.+)$", text, re.M)
    return {
        "stem": path.stem,
        "title": title.group(1).strip() if title else path.stem,
        "time": _sentence(text, "Time"),
        "prerequisites": _sentence(text, "Prerequisites"),
    }


def _output_text(output: dict) -> str:
    """What a stored output printed: a stream's text, or a result's text/plain."""
    if output.get("output_type") == "stream":
        return "".join(output.get("text", ""))
    return "".join(output.get("data", {}).get("text/plain", ""))


def clock_report(nb: dict) -> dict[str, str] | None:
    """The CPU minutes, wall minutes and threads that the notebook's `clock.report()` cell printed when it was
    stored (the last such cell, the last clock line of its outputs), as written there; None when no stored
    output holds a clock line."""
    found = None
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code" or not CLOCK_CALL.search("".join(cell.get("source", ""))):
            continue
        for output in cell.get("outputs", []):
            for match in CLOCK_LINE.finditer(_output_text(output)):
                found = match.groupdict()
    return found


def cpu_minutes(folder: Path = NOTEBOOKS) -> dict[str, str]:
    """notebook stem -> the CPU minutes its stored clock line reports, for every notebook in `folder` that has one."""
    out: dict[str, str] = {}
    for path in sorted(folder.glob("*.ipynb")):
        report = clock_report(json.loads(path.read_text(encoding="utf-8")))
        if report is not None:
            out[path.stem] = report["cpu"]
    return out


def _cell(text: str | None, missing: str) -> str:
    return (text or missing).replace("|", "\\|")


def index_page(lessons: list[dict], exercises: list[dict], minutes: dict[str, str]) -> str:
    """The site's front page, in MyST markdown: the lesson map, the exercises, the explorer."""
    lines = [
        "# InfoGAN from first principles",
        "",
        "A course on InfoGAN (Chen et al. 2016): JupyterLab notebooks and a small PyTorch library, `infogan_edu`.",
        "These pages show the notebooks with the outputs they were stored with; nothing runs here. To run them,",
        "clone the repository and type `make lab`.",
        "",
        "## The lessons",
        "",
        "| lesson | time | prerequisites | CPU minutes to run |",
        "|---|---|---|---|",
    ]
    for lesson in lessons:
        link = f"[{_cell(lesson['title'], lesson['stem'])}](lessons/{lesson['stem']}.ipynb)"
        time, prereq = _cell(lesson["time"], "not stated"), _cell(lesson["prerequisites"], "not stated")
        lines.append(f"| {link} | {time} | {prereq} | {minutes.get(lesson['stem'], 'not measured')} |")
    lines += [
        "",
        "CPU minutes: what the notebook's last cell printed in the very run whose outputs its page shows "
        "(`infogan_edu.clock.LessonClock`: the CPU time of all the kernel's threads, from the set-up cell to the end).",
        "",
        "## The traversal explorer, without a kernel",
        "",
        f"[The shipped MNIST model's codes]({EXPLORER_PAGE}.md): pick the digit category $c_1$, move the sliders "
        "$c_2$ and $c_3$, and the pictures change in this browser, with no Python behind the page.",
        "",
        "## Exercises",
        "",
        "| exercise | belongs to | time | solution |",
        "|---|---|---|---|",
    ]
    for ex in exercises:
        lines.append(
            f"| [{_cell(ex['title'], ex['stem'])}](exercises/{ex['stem']}.ipynb) | "
            f"{_cell(ex['lesson'], '')} | {_cell(ex['time'], 'not stated')} | "
            f"[solution](exercises/solutions/{ex['stem']}.ipynb) |"
        )

    def toctree(caption: str, entries: list[str]) -> list[str]:
        return ["", "```{toctree}", ":hidden:", ":maxdepth: 1", f":caption: {caption}", "", *entries, "```"]

    lines += toctree("Lessons", [f"lessons/{lesson['stem']}" for lesson in lessons] + [EXPLORER_PAGE])
    lines += toctree("Exercises", [f"exercises/{ex['stem']}" for ex in exercises])
    lines += toctree(
        "Solutions", [f"{ex['title'].split(':')[0]}, solution <exercises/solutions/{ex['stem']}>" for ex in exercises]
    )
    lines.append("")
    return "\n".join(lines)


# ------------------------------------------------------------------------------- notebook copies
def _widget_note(text: str, explorer_link: str) -> str:
    if PROGRESS_RE.search(text):
        what = "A progress bar was drawn here while the cell ran; it is a widget, shown only with a kernel."
    elif text.startswith("TraversalExplorer("):
        what = (
            "The live traversal explorer was here: it needs a running kernel (open this lesson in JupyterLab). "
            f'<a href="{explorer_link}">The explorer without a kernel</a> works on this site.'
        )
    else:
        what = "An interactive widget was here: it needs a running kernel (open this notebook in JupyterLab)."
    return f'<p class="widget-note"><em>{what}</em></p>'


def page_copy(nb: dict, explorer_link: str) -> dict:
    """The notebook as the site shows it: widget outputs replaced by a note, the widget state dropped."""
    nb = copy.deepcopy(nb)
    nb["metadata"].pop("widgets", None)
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                plain = "".join(data.get("text/plain", ""))
                output["data"] = {"text/html": _widget_note(plain, explorer_link), "text/plain": plain}
    return nb


def _markdown_cell(text: str) -> dict:
    return {"cell_type": "markdown", "id": "site-note", "metadata": {}, "source": text}


def _write(nb: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding="utf-8")


def _with_note(nb: dict, note: str) -> dict:
    """Insert a markdown note right after the title cell."""
    nb["cells"].insert(1, _markdown_cell(note))
    return nb


def stage(src: Path) -> None:
    """Write every page's source into `src` (emptied first)."""
    if src.exists():
        shutil.rmtree(src)
    (src / "_static").mkdir(parents=True)
    shutil.copy(SITE / "conf.py", src / "conf.py")
    shutil.copy(SITE / "course.css", src / "_static" / "course.css")
    import jupyter_server_mathjax  # the MathJax 2 files, from PyPI; nothing is downloaded

    shutil.copytree(Path(jupyter_server_mathjax.__file__).parent / "static", src / "_static" / "mathjax")

    lessons = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        lessons.append(notebook_summary(path))
        _write(
            page_copy(json.loads(path.read_text(encoding="utf-8")), f"../{EXPLORER_PAGE}.html"),
            src / "lessons" / path.name,
        )
    exercises = []
    for path in sorted((ROOT / "exercises").glob("ex[0-9][0-9]_*.ipynb")):
        solution = ROOT / "exercises" / "solutions" / path.name
        nb = json.loads(path.read_text(encoding="utf-8"))
        meta = nb["metadata"].get("exercise", {})
        summary = notebook_summary(path)
        exercises.append({**summary, "title": summary["title"], "lesson": meta.get("lesson", "")})
        note = (
            f"> **The learner's copy**: the functions to write raise `NotImplementedError`. "
            f"[The worked solution, with its outputs](solutions/{path.name})."
        )
        _write(_with_note(page_copy(nb, f"../{EXPLORER_PAGE}.html"), note), src / "exercises" / path.name)
        if solution.is_file():
            sol = json.loads(solution.read_text(encoding="utf-8"))
            note = (
                f"> **The worked solution.** [The learner's copy](../{path.name}) has the same cells, "
                "without the answers."
            )
            _write(
                _with_note(page_copy(sol, f"../../{EXPLORER_PAGE}.html"), note),
                src / "exercises" / "solutions" / path.name,
            )
    (src / "index.md").write_text(index_page(lessons, exercises, cpu_minutes()), encoding="utf-8")
    (src / f"{EXPLORER_PAGE}.md").write_text(explorer_page(), encoding="utf-8")


def explorer_page() -> str:
    """The explorer for the shipped checkpoint, rendered now (the model runs here; no notebook does)."""
    from infogan_edu.pretrained import load_pretrained
    from infogan_edu.static_explorer import static_explorer

    model, info = load_pretrained("mnist_cpu")
    explorer = static_explorer(model)
    n_values = len(explorer.axes[1][1])
    lines = [
        "# The traversal explorer, without a kernel",
        "",
        f"The generator shipped with `infogan_edu` (the `{info['preset']}` preset, {info['steps']:,} steps, "
        f"{info['test_accuracy']:.1%} test accuracy of $c_1$ after matching categories to digits). Each picture is "
        "four samples $G(z_i, c)$ that share the codes shown and differ in their noise $z_i$. Choose a category of "
        "$c_1$, move $c_2$ or $c_3$ (on the training range $[-1, 1]$), or change the noise seed: the page shows the "
        "matching picture, computed when the site was built. Nothing runs in Python while you watch.",
        "",
        f"{len(explorer.frames)} pictures: {len(explorer.seeds)} noise seeds x 10 categories x {n_values} values of "
        f"$c_2$ x {n_values} of $c_3$, {explorer.frame_bytes / len(explorer.frames):,.0f} bytes of PNG each on "
        f"average, {explorer.page_bytes / 1e6:.2f} MB in this page.",
        "",
        "```{raw} html",
        explorer.html(),
        "```",
        "",
        "In JupyterLab, `infogan_edu.static_explorer.static_explorer(model)` as the last line of a cell shows the "
        "same explorer; lesson 03's `TraversalExplorer` draws any value live, with a kernel.",
        "",
    ]
    return "\n".join(lines)


# ------------------------------------------------------------------------------- build
def build(out: Path, quiet: bool = True) -> Path:
    """Stage the sources in out/src and build out/html; returns the path of the index page."""
    from sphinx.cmd.build import build_main

    src, html, doctrees = out / "src", out / "html", out / "doctrees"
    stage(src)
    args = ["-b", "html", "-d", str(doctrees), "-j", "1", str(src), str(html)]
    status = build_main((["-q"] if quiet else []) + args)
    if status != 0:
        raise SystemExit(f"sphinx-build failed with exit status {status}; the messages above say where")
    return html / "index.html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SITE / "_build", help="build folder (default: site/_build)")
    parser.add_argument("--verbose", action="store_true", help="print Sphinx's progress, not only its warnings")
    args = parser.parse_args(argv)
    index = build(args.out.resolve(), quiet=not args.verbose)
    print(
        f"[site] built {index}\n[site] publish the folder {index.parent} on any static web host, "
        f"or look at it with: python -m http.server -d {index.parent} 8000 --bind 127.0.0.1"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
