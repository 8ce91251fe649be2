"""The kernel-free explorer in JupyterLab: the cell's HTML output runs its own script there too.

tests/test_site.py drives the explorer on the static site; this test drives the very same output in
JupyterLab, where the kernel produced it in this session (so JupyterLab trusts it and runs its script).
The JupyterLab server, Chromium and the skip-with-a-reason when Chromium is absent come from
tests/test_browser.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, WIDGET_WAIT_MS, LabServer, serve_lab

DEMO = Path(__file__).parent / "static_explorer_demo.ipynb"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def lab(tmp_path: Path):
    yield from serve_lab(tmp_path, DEMO)


def test_static_explorer_runs_in_jupyterlab(lab: LabServer) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    expect.set_options(timeout=30_000)

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{lab.url}/lab/tree/{DEMO.name}?token={lab.token}")
            expect(page.locator(".jp-NotebookPanel")).to_be_visible(timeout=120_000)
            lab.wait_for_kernel(DEMO.name, timeout_s=120)
            page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-item", has_text=re.compile(r"^Run All Cells")).click()

            explorer = page.locator(".infogan-static-explorer").first
            expect(explorer).to_have_attribute("data-ready", "1", timeout=WIDGET_WAIT_MS)  # its script ran
            image, readout = explorer.locator("img.ise-image"), explorer.locator(".ise-readout")
            expect(readout).to_have_text("c1 = 0 · c2 = +0.00 · c3 = +0.00 · noise seed 0")
            before = image.get_attribute("src")

            slider = explorer.locator('.ise-row[data-code="c2"] input[type=range]')
            slider.scroll_into_view_if_needed()
            slider.focus()
            slider.press("ArrowRight")  # one step of (-1, 0, 1): c2 from 0 to +1
            expect(readout).to_have_text("c1 = 0 · c2 = +1.00 · c3 = +0.00 · noise seed 0")
            after_slider = image.get_attribute("src")
            assert after_slider != before, "moving the c2 slider did not change the picture"

            explorer.locator('.ise-row[data-code="c1"]').get_by_role("button", name="7", exact=True).click()
            expect(readout).to_have_text("c1 = 7 · c2 = +1.00 · c3 = +0.00 · noise seed 0")
            assert image.get_attribute("src") not in (before, after_slider), "clicking c1 = 7 changed nothing"
        finally:
            browser.close()
