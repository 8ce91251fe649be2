"""benchmarks/render3d_study.py end to end at a tiny size, as a user runs it: train both arms, continue them with
the same command, refuse a different one, score them with the untrained baseline, draw the traversal figures."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ._tables import table_rows

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--n-train", "64", "--set", "width=0.0625", "--set", "batch_size=16", "--set", "log_every=1"]


def study(tmp_path: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "INFOGAN_EDU_PRESET"}
    env |= {"CUDA_VISIBLE_DEVICES": "", "INFOGAN_EDU_DEVICE": "cpu", "INFOGAN_EDU_CACHE": str(tmp_path / "cache")}
    out = subprocess.run(
        [sys.executable, "benchmarks/render3d_study.py", *args], cwd=ROOT, capture_output=True, text=True, env=env
    )
    assert (out.returncode == 0) == ok, out.stderr[-3000:]
    return out


@pytest.mark.slow
def test_render3d_study_trains_resumes_scores_and_draws(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    train = ["--data", "chairs", "--train", "--seeds", "0", "--runs", str(runs), *TINY]
    first = study(tmp_path, *train, "--steps", "3").stdout
    assert "infogan-s0: 3 steps" in first and "control-s0: 3 steps" in first
    again = study(tmp_path, *train, "--steps", "5", "--arm", "control").stdout  # the same command, further
    assert "control-s0: resumed at step 3" in again and "control-s0: 5 steps" in again and "infogan" not in again
    kept = study(tmp_path, *train, "--steps", "5", "--arm", "control").stdout
    assert "control-s0: present (5 steps), kept" in kept
    other = study(tmp_path, *train[:-2], "--set", "batch_size=32", "--steps", "5", ok=False).stderr
    assert other.startswith("error: ") and "repeat its options or use another --runs" in other
    assert "Traceback" not in other

    out = tmp_path / "scores.json"
    args = ["--data", "chairs", "--runs", str(runs), "--n-test", "48", "--baselines", "1"]
    text = study(tmp_path, *args, "--score", "--json", str(out)).stdout
    first_table = table_rows(text)
    assert first_table[0][:3] == ["model", "steps", "MIG"]
    assert [(r[0], r[1]) for r in first_table[1:4]] == [("control-s0", "5"), ("infogan-s0", "3"), ("untrained-0", "0")]
    payload = json.loads(out.read_text())
    models = {m["model"]: m for m in payload["models"]}
    assert [models[k]["arm"] for k in ("control-s0", "infogan-s0", "untrained-0")] == [
        "control",
        "infogan",
        "untrained",
    ]
    assert payload["n_test"] == 48 and payload["settings"]["n_train"] == 64
    for m in models.values():  # chairs3d: one continuous code, read against 4 factors and |azimuth|
        assert set(m["rho"]) == {"azimuth", "width", "style", "back_height", "abs_azimuth"}
        assert all(len(r) == 1 and (r[0] is None or -1 <= r[0] <= 1) for r in m["rho"].values())
        assert 0 <= m["mig"] <= 1 and set(m["mig_per_factor"]) == {"azimuth", "width", "style", "back_height"}

    grids = tmp_path / "grids"
    study(tmp_path, "--data", "chairs", "--runs", str(runs), "--grid", str(grids))
    assert sorted(p.name for p in grids.iterdir()) == ["control-s0.png", "infogan-s0.png"]
    wrong = study(tmp_path, "--data", "heads", "--runs", str(runs), "--score", ok=False).stderr
    assert wrong.startswith(f"error: {runs} holds the study --data chairs")
