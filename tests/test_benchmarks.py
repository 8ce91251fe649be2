"""CI checks that the benchmark scripts run (their CPU variants). They assert nothing about speed."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from infogan_edu.data import find_dataset

from ._tables import has_row, table_rows

ROOT = Path(__file__).resolve().parents[1]
needs_mnist = pytest.mark.skipif(
    find_dataset("mnist") is None, reason="MNIST not found locally (set INFOGAN_EDU_DATA to a folder with mnist/)"
)


# The CPU variants, on any host: CUDA hidden from the scripts (and from the CLI runs they start), so a GPU machine
# prints the same table as a laptop, and no preset chosen in the caller's environment.
CPU_ONLY = {"CUDA_VISIBLE_DEVICES": "", "INFOGAN_EDU_DEVICE": "cpu"}


def run(*args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "INFOGAN_EDU_PRESET"} | CPU_ONLY
    out = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


@pytest.mark.slow
@needs_mnist
def test_gpu_speed_cpu_variant_runs() -> None:
    text = run("benchmarks/gpu_speed.py", "--quick", "--steps", "3", "--warmup", "1")
    stages = [row[0] for row in table_rows(text)]
    assert any(s.startswith("1 baseline") for s in stages) and "3 + no per-step host sync" in stages
    assert "GFLOP per image" in text and "skipped: CUDA only" in text


@pytest.mark.slow
@needs_mnist
def test_reproduce_mnist_runs_tiny(tmp_path: Path) -> None:
    text = run(
        "benchmarks/reproduce_mnist.py", "--seeds", "0", "--control-seeds", "0", "--steps", "20", "--out", str(tmp_path)
    )
    assert "lambda = 0 control" in text and "median test accuracy over 1 seeds" in text
    header, row = table_rows(text)[:2]
    assert row[header.index("fast path")] == "channels_last"  # the cpu preset's one fast-path switch


@pytest.mark.slow
@needs_mnist
def test_reproduce_mnist_reports_a_failed_run_and_goes_on(tmp_path: Path) -> None:
    text = run(
        "benchmarks/reproduce_mnist.py",
        "--seeds",
        "0",
        "1",
        "--control-seeds",
        "--jobs",
        "2",
        "--set",
        "lr_d=-1",
        "--out",
        str(tmp_path),
    )
    assert text.count("failed: error: TrainConfig.lr_d must be a finite number > 0") == 2


@pytest.mark.slow
@needs_mnist
def test_cpu_ablation_runs_tiny() -> None:
    text = run("benchmarks/cpu_ablation.py", "--seeds", "0", "--steps", "2", "--only", "preset", "round1")
    assert has_row(text, "preset", "0") and has_row(text, "round1", "0")


@pytest.mark.slow
@needs_mnist
def test_category_purity_runs_tiny() -> None:
    text = run(
        "benchmarks/category_purity.py",
        "infogan_edu/checkpoints/mnist_cpu.pt",
        "--epochs",
        "1",
        "--train-limit",
        "2000",
        "--per-category",
        "20",
    )
    assert "reference classifier (MLP, 1 epochs on 2000 images)" in text
    assert has_row(text, "infogan_edu/checkpoints/mnist_cpu.pt", "0.955")  # the shipped model's test accuracy


@pytest.mark.slow
@needs_mnist
def test_category_purity_effects_and_raw_json(tmp_path: Path) -> None:
    out = tmp_path / "purity.json"
    text = run(
        "benchmarks/category_purity.py",
        "infogan_edu/checkpoints/mnist_cpu.pt",
        "--effects",
        "--json",
        str(out),
        "--epochs",
        "1",
        "--train-limit",
        "2000",
        "--per-category",
        "20",
    )
    assert "c2: " in text and "c3: " in text
    raw = json.loads(out.read_text())
    assert {"command", "commit", "machine", "date"} <= raw.keys()
    assert raw["runs"][0]["effects"].keys() == {"c2", "c3"}
    # the shipped model: c2 moves the slant, c3 the ink (lesson 04 checks the same)
    assert abs(raw["runs"][0]["effects"]["c2"]["slant"]) > 1 and abs(raw["runs"][0]["effects"]["c3"]["ink"]) > 0.7


@pytest.mark.slow
@needs_mnist
def test_invariance_cost_runs_tiny(tmp_path: Path) -> None:
    out = tmp_path / "cost.json"
    text = run("benchmarks/invariance_cost.py", "--blocks", "2", "--block-steps", "1", "--json", str(out))
    assert has_row(text, "plain") and has_row(text, "invariance") and "ratio invariance / plain" in text
    raw = json.loads(out.read_text())
    assert raw["ratio"] > 0 and len(raw["blocks_ms_per_step"]["plain"]) == 2


def test_majority_vote_lets_two_categories_claim_one_digit() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("shortcuts", ROOT / "benchmarks" / "evaluation_shortcuts.py")
    shortcuts = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shortcuts)
    vote = shortcuts.majority_vote_accuracy
    # by hand: category 0 holds digits 0, 0 (2 right), category 1 holds 0, 1, 1 (2 right): 4 of 5
    assert vote(np.array([0, 0, 1, 1, 1]), np.array([0, 0, 0, 1, 1])) == pytest.approx(0.8)
    # two categories both read as the digit 3: 1.0 by majority vote, 0.5 under a one-to-one matching
    assert vote(np.array([0, 0, 1, 1]), np.array([3, 3, 3, 3])) == 1.0


@needs_mnist
def test_evaluation_shortcuts_runs_on_a_study(tmp_path: Path) -> None:
    out = tmp_path / "shortcuts.json"
    text = run(
        "benchmarks/evaluation_shortcuts.py",
        "--study",
        "infogan_edu/results/invariance-study-plain.json",
        "--json",
        str(out),
    )
    raw = json.loads(out.read_text())
    assert has_row(text, "summary", "accuracy") and raw["summary"]["runs"] == len(raw["runs"]) >= 2
    for r in raw["runs"]:
        assert r["majority_vote"] >= r["reported"] and r["best_step"] >= r["last_step"]


def test_invariance_report_lists_every_seed_of_the_raw_json() -> None:
    text = run("benchmarks/invariance_report.py")
    study = json.loads((ROOT / "infogan_edu" / "results" / "invariance-study.json").read_text())
    table = text.split("## Every seed")[1].split("\n\n")[1].splitlines()[2:]  # the rows below the header
    assert len(table) >= len(study["runs"]) and has_row(text, "with the term")
    for r in study["runs"]:
        assert has_row(text, str(r["seed"])) and f"{r['accuracy']:.3f}" in text


@pytest.mark.slow
def test_shapes_baseline_runs_tiny(tmp_path: Path) -> None:
    out = tmp_path / "baseline.json"
    text = run("benchmarks/shapes_baseline.py", "--encoders", "1", "--boot", "3", "--json", str(out))
    assert has_row(text, "infogan_s0 (shipped)") and "untrained encoders" in text
    raw = json.loads(out.read_text())
    assert len(raw["untrained_migs"]) == 1 and set(raw["shipped"]) == {"infogan_s0", "control_s0"}


@pytest.mark.slow
def test_cpu_ablation_variants_are_valid_configs() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import cpu_ablation
    finally:
        sys.path.pop(0)
    from infogan_edu.config import get_preset

    first = next(iter(cpu_ablation.VARIANTS.items()))
    assert first == ("preset", {})
    for changes in cpu_ablation.VARIANTS.values():
        get_preset("cpu", **changes)  # raises on an unknown field or a bad value


@pytest.mark.parametrize("name", ["paper_preset.sh", "paper_variants.sh", "seeds.sh", "colour_figures.sh"])
def test_gpu_scripts_parse_and_source_their_settings(name: str) -> None:
    script = ROOT / "benchmarks" / "gpu" / name
    subprocess.run(["bash", "-n", str(script)], check=True, timeout=30)  # syntax only, runs nothing
    assert 'source "$(dirname "$0")/common.sh"' in script.read_text()
    assert (script.parent / "common.sh").is_file()


@pytest.mark.parametrize("preset,codes", [("svhn", 8), ("celeba", 10)])
def test_colour_figures_dry_run(preset: str, codes: int, tmp_path: Path) -> None:
    """The GPU scripts' Python part on random images: one picture per code, the samples, and the JSON."""
    tiny = ["--synthetic", "128", "--steps", "2", "--set", "width=0.0625", "--set", "batch_size=16"]
    text = run("benchmarks/colour_figures.py", "--preset", preset, "--out", str(tmp_path), "--no-progress", *tiny)
    assert "2 steps in" in text
    record = json.loads((tmp_path / f"{preset}.json").read_text())
    assert record["files"] == [f"{preset}-c{i}.png" for i in range(1, codes + 1)] + [f"{preset}-samples.png"]
    assert record["config"]["network"] == "svhn-celeba" and (tmp_path / "run" / "checkpoint.pt").is_file()
    from PIL import Image

    with Image.open(tmp_path / f"{preset}-c1.png") as picture:  # 10 rows of the 10 values of c1, 32 x 32 RGB tiles
        assert picture.mode == "RGB" and picture.size == (2 * (10 * 34 + 2), 2 * (10 * 34 + 2))


def test_seeds_speed_quick_runs() -> None:
    text = run("benchmarks/seeds_speed.py", "--quick")
    assert has_row(text, "Trainer (one seed)", "1") and has_row(text, "MultiSeedTrainer K=2", "2")


@pytest.mark.slow
@needs_mnist
def test_select_and_seed_study_run_tiny(tmp_path: Path) -> None:
    tiny = ["--set", "width=0.125", "--set", "eval_every=4", "--set", "log_every=2"]
    text = run(
        "benchmarks/reproduce_mnist.py", "--select", "3", "--groups", "1", "--steps", "4", "--out", str(tmp_path), *tiny
    )
    assert text.count("**picked**") == 1 and "median accuracy of the 1 picks" in text
    assert all(has_row(text, "0", str(s)) for s in (0, 1, 2))  # every seed is listed, not only the pick
    study = run("benchmarks/seed_study.py", "--runs", str(tmp_path / "cpu-k3-g0"), "--images", "500", "--groups", "2")
    assert "## Spearman rho" in study and has_row(study, "stability (the default rule)")
    for criterion in ("agreement", "balance", "stability", "confidence"):  # the three groups of two, per criterion
        assert has_row(study, "2", criterion, "3")


def test_vmap_vs_grouped_runs_and_agrees() -> None:
    text = run("benchmarks/vmap_vs_grouped.py", "--k", "2", "--batch", "4", "--reps", "1")
    rows = [row for row in table_rows(text) if row[0].startswith(("D ", "G "))]
    assert len(rows) == 4
    assert all(float(row[-1]) < 1e-5 for row in rows)  # vmap and grouped give one result


def _record_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_record", ROOT / "benchmarks" / "_record.py")
    record = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(record)
    return record


def test_markdown_table_keeps_every_cell_as_written() -> None:
    table = _record_module().markdown_table
    text = table([["a", 1.50, None], {"name": "bc", "n": "0.900"}, ("d", "007", "1.2x")], ["name", "n", "note"])
    # by hand: tabulate's github layout (each column two wider than its header at least); every cell is str(cell),
    # so 1.5 stays 1.5, "0.900" and "007" keep their zeros, None prints as None and a missing key is an empty cell
    assert text == (
        "| name   | n     | note   |\n"
        "|--------|-------|--------|\n"
        "| a      | 1.5   | None   |\n"
        "| bc     | 0.900 |        |\n"
        "| d      | 007   | 1.2x   |"
    )
    assert table_rows(text) == [["name", "n", "note"], ["a", "1.5", "None"], ["bc", "0.900", ""], ["d", "007", "1.2x"]]
    assert table([], ["x", "y"]) == "| x   | y   |\n|-----|-----|"  # no rows: the header alone


def test_markdown_table_refuses_a_row_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="a row of 2 cells under 3 headers"):
        _record_module().markdown_table([["a", "b"]], ["x", "y", "z"])


@pytest.mark.slow
def test_shapes_study_pick_scores_each_group_by_hand(tmp_path: Path) -> None:
    # four copies of one shipped model: identical encodings, so agreement ties and the pick is each group's first
    # run; the verdicts then follow from the MIGs alone: groups of 3 of runs 0..3 with MIGs 0.1, 0.3, 0.2, 0.05:
    # (0,1,2) pick 0: below the median 0.2; (0,1,3) and (0,2,3): pick 0 = median 0.1; (1,2,3): pick 1, the best
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import shapes_study
    finally:
        sys.path.pop(0)
    paths = []
    for k in range(4):
        (tmp_path / f"r{k}").mkdir()
        paths.append(tmp_path / f"r{k}" / "checkpoint.pt")
        shutil.copy(ROOT / "infogan_edu" / "checkpoints" / "shapes_infogan_s0.pt", paths[-1])
    rows = [{"run": f"r{k}", "arm": "infogan", "mig_real": m} for k, m in enumerate((0.1, 0.3, 0.2, 0.05))]
    shapes_study.N_PICK = 300
    pick = shapes_study.label_free_pick(paths, rows)["infogan"]
    assert pick["agreement"] == [1.0] * 4 and pick["n_groups"] == 4
    assert [g["pick"] for g in pick["groups"]] == ["r0", "r0", "r0", "r1"]
    assert [g["at_or_above_median"] for g in pick["groups"]] == [False, True, True, True]
    assert pick["groups_picked_best"] == 1 and pick["groups_at_or_above_median"] == 3
    assert pick["all_runs"]["pick"] == "r0" and not pick["all_runs"]["picked_best"]


@pytest.mark.slow
@needs_mnist
def test_wild_bugs_runs_tiny_writes_after_every_run_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "wild-bugs.json"
    tiny = ["--steps", "20", "--width", "0.125", "--train-size", "512", "--test-size", "300", "--json", str(out)]
    text = run("benchmarks/wild_bugs.py", "--bug", "none", "softmax-twice", *tiny)
    assert has_row(text, "none", "0") and has_row(text, "softmax-twice", "0")
    assert "li_cat_ceiling 0.8414" in text  # softmax-twice's own symptom: ln 10 - ln(e + 9) + 1
    runs = json.loads(out.read_text())["runs"]
    assert [(r["bug"], r["seed"], r["steps"], r["train_size"], r["test_size"]) for r in runs] == [
        ("none", 0, 20, 512, 300),
        ("softmax-twice", 0, 20, 512, 300),
    ]
    assert all(len(r["test_accuracy"]) == len(r["nmi"]) == 1 and r["eval_steps"] == [20] for r in runs)
    assert all(len(r[k]) == 1 for r in runs for k in ("li_cat", "li_cont", "d_real", "d_fake"))  # one window of 20
    assert max(runs[1]["li_cat"]) <= 0.8415
    # --resume: the two runs are kept, not redone; a new seed is added
    env = {k: v for k, v in os.environ.items() if k != "INFOGAN_EDU_PRESET"} | CPU_ONLY
    args = ["benchmarks/wild_bugs.py", "--bug", "none", "softmax-twice", "--seeds", "0", "1", *tiny, "--resume"]
    again = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stderr.count("already in") == 2 and has_row(again.stdout, "none", "1")
    runs_after = json.loads(out.read_text())["runs"]
    assert runs_after[:2] == runs
    assert [(r["bug"], r["seed"]) for r in runs_after[2:]] == [("none", 1), ("softmax-twice", 1)]


@pytest.mark.slow
def test_wild_bugs_refuses_an_unknown_bug_before_loading_data() -> None:
    out = subprocess.run(
        [sys.executable, "benchmarks/wild_bugs.py", "--bug", "softmax"], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode != 0 and "unknown bug(s) softmax; choose from: none, softmax-twice" in out.stderr
