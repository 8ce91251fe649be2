"""README command 1 (`make lab`) starts JupyterLab on 127.0.0.1 with lesson 00 listed, as root too.

JupyterLab refuses to start as root unless given --allow-root; the Makefile adds it (with a one-line note)
when `id -u` is 0, so the test passes no such option itself.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lab_serves_lesson_00(tmp_path: Path) -> None:
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
    }
    args = f"--no-browser --ServerApp.port={port} --IdentityProvider.token={token}"  # as a user would type it
    proc = subprocess.Popen(
        ["make", "-s", "lab", f"LAB_ARGS={args}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # our own process group, so we stop exactly what we started
    )
    try:
        listing, deadline = None, time.time() + 90
        while time.time() < deadline:
            try:
                url = f"http://127.0.0.1:{port}/api/contents/notebooks?token={token}"
                with urllib.request.urlopen(url, timeout=2) as r:
                    listing = json.load(r)
                break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.5)
        log = proc.stdout.read().decode()[-2000:] if proc.poll() is not None else ""
        assert listing is not None, f"JupyterLab did not answer: {log}"
        names = {item["name"] for item in listing["content"]}
        assert "00_setup.ipynb" in names
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=5) as r:
            assert r.status == 200
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    out = proc.stdout.read().decode()
    assert "127.0.0.1" in out and "token=" in out  # the URL with its token is printed
    assert ("running as root" in out) == (os.geteuid() == 0)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("uid", ["0", "1000"])
def test_make_lab_adds_allow_root_only_for_root(tmp_path: Path, uid: str) -> None:
    fake_id = tmp_path / "id"  # `id -u` answers `uid`, whoever runs the test
    fake_id.write_text(f"#!/bin/sh\necho {uid}\n")
    fake_id.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    plan = subprocess.run(  # -n: print the recipe, run nothing
        ["make", "-n", "lab"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    ).stdout
    as_root = uid == "0"
    assert ("--allow-root" in plan) == as_root
    assert ("running as root" in plan) == as_root
