"""The traversal explorer in a real browser: JupyterLab + Debian's Chromium, driven by Playwright.

The unit tests in test_widgets.py prove the kernel side; this test proves the wiring a learner
actually uses: the widget renders in JupyterLab, a slider moved with the keyboard and a toggle
button clicked with the mouse reach the kernel, and new image bytes come back to the page.

Chromium comes from the system (`scripts/ci_browser_deps.sh` installs Debian's package); the
Playwright-managed browsers are never downloaded. Without /usr/bin/chromium the test is skipped
with that reason.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
DEMO = Path(__file__).parent / "browser" / "explorer_demo.ipynb"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_S = 90
WIDGET_WAIT_MS = 180_000  # kernel start + importing torch, on 2 busy cores
EXPECT_MS = 30_000

pytestmark = pytest.mark.browser

# The bytes behind the <img>: ipywidgets shows PNGs through blob: (or data:) URLs, so read them back.
READ_IMAGE_JS = """async (img) => {
  const response = await fetch(img.src);
  const bytes = new Uint8Array(await response.arrayBuffer());
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
  }
  return btoa(text);
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 5.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (a local server)
        return response.read()


class LabServer:
    """`jupyter lab` on 127.0.0.1 with a random port and token and private Jupyter folders.

    Started in its own session, so that stopping it signals its process group and nothing else.
    """

    def __init__(self, root: Path, home: Path):
        self.root, self.home = root, home
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = home / "jupyter-lab.log"
        self.proc: subprocess.Popen | None = None

    def environment(self) -> dict[str, str]:
        dirs = {name: self.home / name.lower() for name in (
            "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR",
            "JUPYTERLAB_WORKSPACES_DIR", "IPYTHONDIR",
        )}
        for path in dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        # No news pop-up (it can cover the widgets), no update check (no network anyway).
        notification = dirs["JUPYTERLAB_SETTINGS_DIR"] / "@jupyterlab" / "apputils-extension"
        notification.mkdir(parents=True, exist_ok=True)
        (notification / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False})
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
        env.update({k: str(v) for k, v in dirs.items()})
        env["MPLBACKEND"] = "Agg"
        return env

    def start(self) -> None:
        cmd = [
            sys.executable, "-m", "jupyterlab",
            "--no-browser", "--allow-root",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
        ]
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            cmd, cwd=self.root, env=self.environment(), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                _get(f"{self.url}/api/status?token={self.token}", timeout=2)
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        raise RuntimeError(f"jupyter lab did not answer within {SERVER_START_S} s:\n{self.log_tail()}")

    def wait_for_kernel(self, notebook: str, timeout_s: float) -> None:
        """Until the notebook's kernel is idle and the page is connected to it (one websocket).

        Running cells before that would open JupyterLab's "Select Kernel" dialog instead."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            sessions = json.loads(_get(f"{self.url}/api/sessions?token={self.token}"))
            for session in sessions:
                kernel = session.get("kernel") or {}
                if (session.get("path") == notebook and kernel.get("execution_state") == "idle"
                        and kernel.get("connections", 0) >= 1):
                    return
            time.sleep(0.5)
        raise TimeoutError(f"no idle kernel connected to {notebook} in {timeout_s} s\n{self.log_tail()}")

    def shutdown_kernels(self) -> None:
        """Ask the server to stop its kernels (they run in their own sessions), best effort."""
        try:
            kernels = json.loads(_get(f"{self.url}/api/kernels?token={self.token}"))
            for kernel in kernels:
                request = urllib.request.Request(
                    f"{self.url}/api/kernels/{kernel['id']}?token={self.token}", method="DELETE"
                )
                urllib.request.urlopen(request, timeout=10).close()  # noqa: S310
        except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
            pass

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.shutdown_kernels()
        pgid = self.proc.pid  # start_new_session=True: the server leads its own process group
        os.killpg(pgid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return "(no log)"


def serve_lab(tmp_path: Path, notebook: Path):
    """JupyterLab serving a copy of `notebook` from a fresh folder with its own home; stopped afterwards.
    Skips when Chromium is absent. Use as `yield from serve_lab(...)` in a fixture."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium (scripts/ci_browser_deps.sh) to run it")
    root, home = tmp_path / "nb", tmp_path / "home"
    root.mkdir()
    home.mkdir()
    shutil.copy(notebook, root / notebook.name)
    server = LabServer(root, home)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def lab(tmp_path: Path):
    yield from serve_lab(tmp_path, DEMO)


def _image_bytes(page, locator) -> bytes:
    return base64.b64decode(locator.element_handle().evaluate(READ_IMAGE_JS))


def test_explorer_reacts_in_jupyterlab(lab: LabServer) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    expect.set_options(timeout=EXPECT_MS)

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{lab.url}/lab/tree/{DEMO.name}?token={lab.token}")

            # Wait for the notebook and its idle, connected kernel, then Run > Run All Cells.
            expect(page.locator(".jp-NotebookPanel")).to_be_visible(timeout=120_000)
            lab.wait_for_kernel(DEMO.name, timeout_s=120)
            page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-item", has_text=re.compile(r"^Run All Cells")).click()

            image = page.locator("img.explorer-image").first
            readout = page.locator(".explorer-readout").first
            expect(image).to_be_visible(timeout=WIDGET_WAIT_MS)
            expect(readout).to_contain_text("c1 = 0")
            expect(readout).to_contain_text("c2 = +0.00")
            before = _image_bytes(page, image)
            assert before.startswith(b"\x89PNG"), "the explorer's image is not a PNG"

            # Keyboard: focus the c2 slider's handle and step it right five times (step 0.05).
            handle = page.locator(".explorer-c2 .noUi-handle").first
            handle.scroll_into_view_if_needed()
            handle.focus()
            for _ in range(5):
                handle.press("ArrowRight")
            expect(readout).to_contain_text("c2 = +0.25")
            after_slider = _image_bytes(page, image)
            assert after_slider != before, "moving the c2 slider did not change the image bytes"

            # Mouse: click category 7 of c1.
            button = page.locator(".explorer-c1").get_by_role("button", name="7", exact=True)
            button.scroll_into_view_if_needed()
            button.click()
            expect(readout).to_contain_text("c1 = 7")
            expect(readout).to_contain_text("c2 = +0.25")  # the other code is untouched
            after_click = _image_bytes(page, image)
            assert after_click != after_slider, "clicking c1 = 7 did not change the image bytes"
        finally:
            browser.close()
