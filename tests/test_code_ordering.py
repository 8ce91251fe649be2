"""benchmarks/code_ordering.py: its two other priors, against closed forms, and a tiny run of the script."""

import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from scipy import stats

from infogan_edu.data import find_dataset

from ._tables import has_row

ROOT = Path(__file__).resolve().parents[1]
spec_ = importlib.util.spec_from_file_location("code_ordering", ROOT / "benchmarks" / "code_ordering.py")
code_ordering = importlib.util.module_from_spec(spec_)
sys.modules["code_ordering"] = code_ordering  # dataclasses look their module up there
spec_.loader.exec_module(code_ordering)


def test_copula_codes_have_uniform_marginals_and_the_copulas_rank_correlation() -> None:
    spec = code_ordering.CopulaCodes(noise=4, categorical=(10,), continuous=2, rho=0.8)
    c = spec.sample(20_000, torch.Generator().manual_seed(0)).cont.numpy()
    for j in range(2):
        assert stats.kstest(c[:, j], stats.uniform(loc=-1, scale=2).cdf).pvalue > 0.01
    # Spearman's rho of a Gaussian copula with correlation r is (6 / pi) asin(r / 2)
    assert stats.spearmanr(c[:, 0], c[:, 1]).statistic == pytest.approx(6 / math.pi * math.asin(0.4), abs=0.01)


def test_normal_codes_are_independent_with_the_variance_of_the_uniform_code() -> None:
    spec = code_ordering.NormalCodes(noise=4, categorical=(10,), continuous=2)
    c = spec.sample(20_000, torch.Generator().manual_seed(0)).cont.numpy()
    assert c.std(0) == pytest.approx([math.sqrt(1 / 3)] * 2, rel=0.02)  # Var Unif(-1, 1) = 1/3
    assert abs(stats.pearsonr(c[:, 0], c[:, 1]).statistic) < 0.03


def test_code_entropies() -> None:
    assert code_ordering.code_entropy("uniform") == pytest.approx(math.log(2))
    assert code_ordering.code_entropy("normal") == pytest.approx(stats.norm(scale=math.sqrt(1 / 3)).entropy())


@pytest.mark.slow
@pytest.mark.skipif(find_dataset("mnist") is None, reason="MNIST not found locally (set INFOGAN_EDU_DATA)")
def test_code_ordering_runs_tiny(tmp_path: Path) -> None:
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "INFOGAN_EDU_DEVICE": "cpu", "OMP_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "benchmarks/code_ordering.py", "--set", "priors", "--only", "copula2", "--steps", "3",
         "--runs", str(tmp_path), "--json", str(tmp_path / "r.json")],
        cwd=ROOT, capture_output=True, text=True, timeout=900, env=env,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert has_row(out.stdout, "copula2", "copula") and (tmp_path / "r.json").exists()
    several = subprocess.run(  # several seeds: one run per seed, named by it
        [sys.executable, "benchmarks/code_ordering.py", "--set", "priors", "--only", "normal2", "--steps", "2",
         "--seeds", "1", "2", "--runs", str(tmp_path), "--json", str(tmp_path / "s.json")],
        cwd=ROOT, capture_output=True, text=True, timeout=900, env=env,
    )
    assert several.returncode == 0, several.stderr[-3000:]
    runs = json.loads((tmp_path / "s.json").read_text())["runs"]
    assert [(r["run"], r["seed"]) for r in runs] == [("normal2-s1", 1), ("normal2-s2", 2)]
    longer = subprocess.run(  # a run shorter than asked for (stopped part-way) is resumed, not reused as it is
        [sys.executable, "benchmarks/code_ordering.py", "--set", "priors", "--only", "normal2", "--steps", "3",
         "--seeds", "1", "--runs", str(tmp_path), "--json", str(tmp_path / "l.json")],
        cwd=ROOT, capture_output=True, text=True, timeout=900, env=env,
    )
    assert longer.returncode == 0, longer.stderr[-3000:]
    assert json.loads((tmp_path / "l.json").read_text())["runs"][0]["steps"] == 3
