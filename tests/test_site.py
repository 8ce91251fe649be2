"""The course as a static web site (site/build.py, `make site`): it builds, and it works with no kernel.

* the lesson map and the page copies are checked on small hand-made notebooks (fast);
* the whole site is built once into a temporary folder (slow, about 40 s on 2 cores), and every lesson,
  exercise and solution must have its page, with its figures, maths and tables;
* in Debian's Chromium (skipped with the reason when it is absent, like tests/test_browser.py), the
  site is served on 127.0.0.1: from the index, the lesson map leads to the lessons; on the page with
  the kernel-free explorer, moving a slider and clicking a category change the picture; MathJax
  typesets a lesson; and no page asks any other host for anything.

Set INFOGAN_EDU_SCREENSHOT=path.png to keep the browser's picture of the explorer (docs/static-explorer.png
was made that way).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EXPECT_MS = 30_000
# A lesson's HTML and figures (its kernel-free explorer included); MathJax, shared by all pages, adds about 0.55 MB.
PAGE_BUDGET = 2_500_000


def _load_builder():
    spec = importlib.util.spec_from_file_location("course_site_build", ROOT / "site" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


builder = _load_builder()


def _notebook(first_cell: str, outputs: list[dict] | None = None) -> dict:
    code = {
        "cell_type": "code",
        "id": "c",
        "metadata": {},
        "source": "x",
        "execution_count": 1,
        "outputs": outputs or [],
    }
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"widgets": {"state": "big"}},
        "cells": [{"cell_type": "markdown", "id": "m", "metadata": {}, "source": first_cell}, code],
    }


# ------------------------------------------------------------------------------- fast: the builder's parts
def test_lesson_map_reads_title_time_and_prerequisites(tmp_path: Path) -> None:
    path = tmp_path / "07_demo.ipynb"
    path.write_text(
        json.dumps(
            _notebook(
                "# 07 · A demo lesson\n\n**Time:** about 25 minutes of reading; 2 minutes\non a CPU. "
                "**Prerequisites:** lessons 01 and 02.\n\nMore text. **Time:** not this one."
            )
        )
    )
    assert builder.notebook_summary(path) == {
        "stem": "07_demo",
        "title": "07 · A demo lesson",
        "time": "about 25 minutes of reading; 2 minutes on a CPU.",
        "prerequisites": "lessons 01 and 02.",
    }
    path.write_text(json.dumps(_notebook("# 08 · No header fields")))
    summary = builder.notebook_summary(path)
    assert summary["time"] is None and summary["prerequisites"] is None


CLOCK = (
    "this notebook took {} CPU min and {} min of wall time, with {} (the wall time grows when the machine is shared)"
)


def _stream(*lines: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": [line + "\n" for line in lines]}


def _clock_notebook(source: str, outputs: list[dict]) -> dict:
    """A lesson whose last code cell has `source` and was stored with `outputs`."""
    nb = _notebook("# 07 · A demo lesson")
    last = {
        "cell_type": "code",
        "id": "end",
        "metadata": {},
        "source": source,
        "execution_count": 9,
        "outputs": outputs,
    }
    nb["cells"].append(last)
    return nb


def test_cpu_minutes_come_from_the_clock_line_the_notebook_stored(tmp_path: Path) -> None:
    # by hand: the numbers as the stored line prints them, whatever else the cell printed after it
    nb = _clock_notebook(
        "# NBVAL_IGNORE_OUTPUT\nprint(clock.report())\nprint(f'of which scoring: {s:.0f} s')",
        [_stream(CLOCK.format("7.1", "3.6", "2 threads"), "of which scoring: 27 s")],
    )
    assert builder.clock_report(nb) == {"cpu": "7.1", "wall": "3.6", "threads": "2"}
    # the report as the cell's value (no print): the line inside the repr of the string
    result = {"output_type": "execute_result", "execution_count": 9, "metadata": {},
              "data": {"text/plain": repr(CLOCK.format("12.0", "12.4", "1 thread"))}}  # fmt: skip
    assert builder.clock_report(_clock_notebook("clock.report()", [result]))["cpu"] == "12.0"
    # a clock cell stored without its output has no time; a clock line that another cell printed is not the lesson's
    nb = _clock_notebook("print(clock.report())", [])
    assert builder.clock_report(nb) is None
    nb["cells"][1]["outputs"] = [_stream(CLOCK.format("5.0", "5.0", "1 thread"))]
    assert builder.clock_report(nb) is None

    folder = tmp_path / "notebooks"
    folder.mkdir()
    stored = {
        "00_setup": [_stream(CLOCK.format("0.0", "0.0", "2 threads"))],
        "01_vanilla_gan": [_stream(CLOCK.format("3.9", "4.2", "1 thread"))],
        "02_never_run": [],
    }
    for stem, outputs in stored.items():
        nb = _clock_notebook("print(clock.report())", outputs)
        (folder / f"{stem}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    minutes = builder.cpu_minutes(folder)
    assert minutes == {"00_setup": "0.0", "01_vanilla_gan": "3.9"}
    lessons = [{"stem": stem, "title": stem, "time": None, "prerequisites": None} for stem in stored]
    page = builder.index_page(lessons, [], minutes)
    assert "| [01_vanilla_gan](lessons/01_vanilla_gan.ipynb) | not stated | not stated | 3.9 |" in page
    assert "| [02_never_run](lessons/02_never_run.ipynb) | not stated | not stated | not measured |" in page


def test_the_clock_line_is_read_as_infogan_edu_clock_writes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from infogan_edu.clock import LessonClock

    clock = LessonClock()
    monkeypatch.setattr(clock, "elapsed", lambda: (246.0, 132.0))  # by hand: 4.1 CPU minutes, 2.2 of wall time
    report = builder.clock_report(_clock_notebook("print(clock.report())", [_stream(clock.report())]))
    assert report is not None and (report["cpu"], report["wall"]) == ("4.1", "2.2")


def test_the_lessons_minutes_are_the_ones_their_own_run_printed() -> None:
    minutes = builder.cpu_minutes()  # the repository's lessons, as stored
    assert {"00_setup", "01_vanilla_gan", "02_mutual_information", "03_infogan_mnist", "04_full_training"} <= set(
        minutes
    )
    for stem, cpu in minutes.items():
        assert f"this notebook took {cpu} CPU min" in (ROOT / "notebooks" / f"{stem}.ipynb").read_text(encoding="utf-8")


def test_index_page_lists_every_lesson_once(tmp_path: Path) -> None:
    lessons = [
        {"stem": "00_a", "title": "00 · A", "time": "about 5 minutes.", "prerequisites": "none."},
        {"stem": "05_b", "title": "05 · B | C", "time": None, "prerequisites": None},
    ]
    exercises = [{"stem": "ex01_x", "title": "Exercise 1: X", "time": "about 20 minutes.", "lesson": "Lesson 00"}]
    page = builder.index_page(lessons, exercises, {"00_a": "0.2"})
    assert "| [00 · A](lessons/00_a.ipynb) | about 5 minutes. | none. | 0.2 |" in page
    assert "| [05 · B \\| C](lessons/05_b.ipynb) | not stated | not stated | not measured |" in page
    assert "[solution](exercises/solutions/ex01_x.ipynb)" in page
    assert page.count("lessons/05_b\n") == 1 and "Exercise 1, solution <exercises/solutions/ex01_x>" in page


def test_page_copy_replaces_kernel_widgets_and_leaves_the_notebook_alone() -> None:
    view = {"model_id": "abc", "version_major": 2, "version_minor": 0}
    outputs = [
        {
            "output_type": "display_data",
            "metadata": {},
            "data": {builder.WIDGET_VIEW: view, "text/plain": "InfoGAN [cpu]:   0%|   | 0/1500"},
        },
        {
            "output_type": "execute_result",
            "execution_count": 1,
            "metadata": {},
            "data": {builder.WIDGET_VIEW: view, "text/plain": "TraversalExplorer(c1 = 0; seed 0; single)"},
        },
        {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBOR", "text/plain": "<Figure>"}},
    ]
    nb = _notebook("# t", outputs)
    page = builder.page_copy(nb, "../explorer.html")
    first, second, third = page["cells"][1]["outputs"]
    assert builder.WIDGET_VIEW not in first["data"] and "progress bar" in first["data"]["text/html"]
    assert '<a href="../explorer.html">' in second["data"]["text/html"]
    assert third == outputs[2]
    assert "widgets" not in page["metadata"]
    assert builder.WIDGET_VIEW in nb["cells"][1]["outputs"][0]["data"] and "widgets" in nb["metadata"]


def test_site_builder_needs_only_installed_extras() -> None:
    """What site/build.py and site/conf.py import comes with the runtime or the [test] extra (make setup)."""
    import tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    extra = data["project"]["optional-dependencies"]["test"]
    wanted = {re.split(r"[<>=!~\[ ;]", r, maxsplit=1)[0].lower() for r in extra}
    assert {"sphinx", "myst-nb", "jupyter-server-mathjax"} <= wanted
    source = (ROOT / "site" / "build.py").read_text() + (ROOT / "site" / "conf.py").read_text()
    assert "jupyter_server_mathjax" in source and "myst_nb" in source


# ------------------------------------------------------------------------------- slow: the whole site
@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "site" / "build.py"), "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"site build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    # A link to a notebook that is not written yet (an exercise in the making) is reported, not fatal.
    warnings = [w for w in result.stderr.splitlines() if "WARNING" in w and "[myst.xref_missing]" not in w]
    assert not warnings, "the build warned:\n" + "\n".join(warnings[:20])
    return out / "html"


def _count_png_outputs(nb: dict) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", []))


@pytest.mark.slow
def test_site_has_every_page_with_its_figures_maths_and_tables(site: Path) -> None:
    lessons = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert lessons
    index = (site / "index.html").read_text()
    for path in lessons:
        nb = json.loads(path.read_text())
        page = (site / "lessons" / f"{path.stem}.html").read_text()
        assert f'href="lessons/{path.stem}.html"' in index, f"the lesson map does not link {path.stem}"
        images = re.findall(r'<img[^>]+src="\.\./(_images/[^"]+)"', page)
        assert len(images) == _count_png_outputs(nb), f"{path.stem}: a stored figure is missing from its page"
        assert all((site / image).is_file() for image in images)
        markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
        if "$" in markdown:
            assert 'class="math' in page, f"{path.stem}: its LaTeX did not become maths"
        tables = len(re.findall(r"^\|\s*:?-{3,}", markdown, re.M))  # one |---| line per markdown table
        assert page.count("<table") >= tables, f"{path.stem}: a table is lost"
        assert "application/vnd.jupyter.widget" not in page, f"{path.stem}: widget data left on a static page"
        own_bytes = len(page.encode()) + sum((site / image).stat().st_size for image in images)
        assert own_bytes < PAGE_BUDGET, f"{path.stem}: {own_bytes:,} bytes of page and figures"
    for path in sorted((ROOT / "exercises").glob("ex[0-9][0-9]_*.ipynb")):
        page = (site / "exercises" / f"{path.stem}.html").read_text()
        assert f'href="solutions/{path.stem}.html"' in page, f"{path.stem} does not link its solution"
        assert (site / "exercises" / "solutions" / f"{path.stem}.html").is_file()
    assert (site / "_static" / "mathjax" / "MathJax.js").is_file()
    # Nothing a page loads by itself (scripts, styles, images, frames) names another host.
    for page in site.rglob("*.html"):
        text = page.read_text()
        loads = re.findall(r'<(?:script|img|iframe)[^>]*\ssrc="([^"]*)"|<link[^>]*\shref="([^"]*)"', text)
        external = [u for pair in loads for u in pair if re.match(r"^(https?:)?//", u)]
        assert not external, f"{page.relative_to(site)} loads {external}"


# ------------------------------------------------------------------------------- slow: in a real browser
class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        pass


@pytest.fixture
def served(site: Path):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium (scripts/ci_browser_deps.sh) to run it")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _check_explorer(page, expect, url: str) -> bytes:
    """Move c2 one step, click c1 = 7 and change the seed: the picture must change each time."""
    page.goto(url)
    explorer = page.locator(".infogan-static-explorer").first
    expect(explorer).to_have_attribute("data-ready", "1")
    image, readout = explorer.locator("img.ise-image"), explorer.locator(".ise-readout")
    expect(readout).to_have_text("c1 = 0 · c2 = +0.00 · c3 = +0.00 · noise seed 0")
    before = image.get_attribute("src")
    assert before.startswith("data:image/png;base64,")

    slider = explorer.locator('.ise-row[data-code="c2"] input[type=range]')
    slider.scroll_into_view_if_needed()
    slider.focus()
    slider.press("ArrowRight")  # one step: c2 from 0 to +0.50
    expect(readout).to_have_text("c1 = 0 · c2 = +0.50 · c3 = +0.00 · noise seed 0")
    after_slider = image.get_attribute("src")
    assert after_slider != before, "moving the c2 slider did not change the picture"

    explorer.locator('.ise-row[data-code="c1"]').get_by_role("button", name="7", exact=True).click()
    expect(readout).to_have_text("c1 = 7 · c2 = +0.50 · c3 = +0.00 · noise seed 0")
    after_click = image.get_attribute("src")
    assert after_click not in (before, after_slider), "clicking c1 = 7 did not change the picture"

    explorer.locator('.ise-row[data-code="seed"]').get_by_role("button", name="1", exact=True).click()
    expect(readout).to_contain_text("noise seed 1")
    assert image.get_attribute("src") != after_click, "another noise seed must give another picture"
    return explorer.screenshot()


@pytest.mark.slow
@pytest.mark.browser
def test_site_works_in_chromium_without_a_kernel_or_other_hosts(served: str, site: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    expect.set_options(timeout=EXPECT_MS)
    host = urlsplit(served).netloc
    requested: list[str] = []
    explorer_pages = ["explorer.html"] + [
        f"lessons/{p.name}"
        for p in sorted((site / "lessons").glob("*.html"))
        if "infogan-static-explorer" in p.read_text()
    ]

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 900})
            context.on("request", lambda request: requested.append(request.url))
            page = context.new_page()

            # The lesson map leads to the lessons.
            page.goto(f"{served}/index.html")
            page.locator("table a", has_text="InfoGAN on MNIST").first.click()
            expect(page).to_have_url(re.compile(r"/lessons/03_infogan_mnist\.html$"))
            expect(page.locator("h1").first).to_contain_text("InfoGAN on MNIST")

            # MathJax, served from the site, typesets a lesson's LaTeX.
            page.goto(f"{served}/lessons/02_mutual_information.html")
            expect(page.locator("span.MathJax").first).to_be_attached()

            shots = [_check_explorer(page, expect, f"{served}/{name}") for name in explorer_pages]
        finally:
            browser.close()

    elsewhere = [
        u for u in requested if urlsplit(u).scheme not in ("data", "blob", "about") and urlsplit(u).netloc != host
    ]
    assert not elsewhere, f"the pages asked other hosts for: {elsewhere}"
    assert any("explorer.html" in u for u in requested)
    target = os.environ.get("INFOGAN_EDU_SCREENSHOT")
    if target:
        Path(target).write_bytes(shots[-1])  # the lesson's explorer when a lesson has one
    assert shots[-1].startswith(b"\x89PNG")
