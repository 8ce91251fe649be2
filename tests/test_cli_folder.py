"""`train --dataset folder:PATH` end to end: a folder of drawn discs and squares, a few steps at width 0.125, resume,
eval and export, and the checkpoint opened in both explorers (ipywidgets and static).

Expected sizes are worked out by hand: a grid of n x n images of side S with 2 pixels of padding is n S + 2 (n + 1)
pixels wide (62 for 2 x 2 at 28, 134 for 2 x 2 at 64); a static explorer has seeds x K x values frames.
"""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from infogan_edu.checkpoint import load_file
from infogan_edu.cli import main
from infogan_edu.cli_options import format_codes, parse_codes
from infogan_edu.pretrained import model_from_checkpoint
from infogan_edu.static_explorer import static_explorer
from infogan_edu.widgets import TraversalExplorer

from .reliability.folders import FOLDER_CASES, draw_folder, folder_outcome

TINY = ["--preset", "cpu", "--no-progress", "--set", "width=0.125", "--set", "batch_size=8", "--set", "log_every=2"]
TINY += ["--set", "ckpt_every=2", "--set", "device=cpu"]


def photos(folder: Path, n: int = 24, smallest: int = 28, seed: int = 0) -> Path:
    draw_folder(folder, n, random.Random(seed), smallest)
    return folder


def png_size_and_mode(data: bytes) -> tuple[tuple[int, int], str]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size, image.mode


def train(folder: Path, out: Path, *more: str) -> int:
    return main(["train", "--dataset", f"folder:{folder}", "--out", str(out), *TINY, *more])


@pytest.mark.slow
def test_gray_folder_run_resumes_and_opens_in_both_explorers(tmp_path: Path, capsys) -> None:
    folder, out = photos(tmp_path / "photos"), tmp_path / "run"
    assert train(folder, out, "--image-size", "28", "--codes", "cat:3,cont:1", "--steps", "4") == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["dataset"] == f"folder:{folder.resolve()}" and summary["steps"] == 4
    assert summary["test_accuracy"] is None  # no labels
    ckpt = load_file(out / "checkpoint.pt")
    assert (ckpt["architecture"]["image_size"], ckpt["architecture"]["channels"]) == (28, 1)
    assert (ckpt["config"]["categorical"], ckpt["config"]["continuous"]) == ([3], 1)

    # resume: the recorded folder, size and codes; the same --codes may be repeated, others are refused
    resume = ["train", "--out", str(out), "--resume", *TINY[:3]]
    assert main([*resume, "--steps", "6", "--codes", "cat:3,cont:1"]) == 0
    assert "28x28 gray" in capsys.readouterr().out and load_file(out / "checkpoint.pt")["step"] == 6
    other = photos(tmp_path / "other", n=8, seed=1)
    refusals = {
        ("--dataset", f"folder:{other}"): [str(other), str(folder.resolve())],
        ("--image-size", "64"): ["--image-size 64", "28x28"],
        ("--rgb",): ["--rgb", "gray"],
        ("--codes", "cat:10,cont:2"): ["--codes cat:10,cont:2", "cat:3,cont:1"],
    }
    for args, words in refusals.items():
        assert main([*resume, *args]) == 2, args
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and all(w in err for w in words), err
    assert load_file(out / "checkpoint.pt")["step"] == 6  # untouched by the refusals

    assert main(["eval", str(out / "checkpoint.pt")]) == 2
    assert "no test accuracy" in capsys.readouterr().err
    assert main(["export", str(out / "checkpoint.pt"), "--out", str(tmp_path / "small.pt")]) == 0
    meta = json.loads((tmp_path / "small.pt.json").read_text())
    assert meta["test_accuracy"] is None and meta["steps"] == 6

    model = model_from_checkpoint(load_file(out / "checkpoint.pt"))
    explorer = TraversalExplorer(model, grid=2, scale=1)
    assert png_size_and_mode(explorer.image.value) == ((62, 62), "L")  # 2 * 28 + 3 * 2
    before = explorer.image.value
    explorer.set(c1=2)
    assert explorer.image.value != before  # the category reaches G
    page = static_explorer(model, values=(-1.0, 0.0, 1.0), seeds=(0, 1))
    assert len(page.frames) == 2 * 3 * 3  # seeds x K of c1 x values of c2
    assert png_size_and_mode(page.frames[0]) == ((62, 62), "L")
    assert len(set(page.frames)) > 1 and "infogan-static-explorer" in page.html()


def test_image_size_32_trains_the_svhn_celeba_network(tmp_path: Path) -> None:
    folder, out = photos(tmp_path / "photos", n=12, smallest=32), tmp_path / "run"
    assert train(folder, out, "--rgb", "--image-size", "32", "--steps", "1") == 0
    ckpt = load_file(out / "checkpoint.pt")
    arch = ckpt["architecture"]
    assert (arch["image_size"], arch["channels"], arch["network"]) == (32, 3, "svhn-celeba")
    assert ckpt["config"]["network"] == "svhn-celeba"


@pytest.mark.slow
def test_rgb_folder_run_at_the_default_size_opens_in_both_explorers(tmp_path: Path, capsys) -> None:
    folder, out = photos(tmp_path / "photos", n=12, smallest=64), tmp_path / "run"
    assert train(folder, out, "--rgb", "--steps", "2", "--codes", "cat:2") == 0
    ckpt = load_file(out / "checkpoint.pt")
    assert (ckpt["architecture"]["image_size"], ckpt["architecture"]["channels"]) == (64, 3)
    assert main(["train", "--out", str(out), "--resume", "--steps", "3", *TINY[:3]]) == 0  # colour and size recorded
    assert "64x64 rgb" in capsys.readouterr().out
    model = model_from_checkpoint(load_file(out / "checkpoint.pt"))
    explorer = TraversalExplorer(model, grid=2, scale=1)
    assert png_size_and_mode(explorer.image.value) == ((134, 134), "RGB")  # 2 * 64 + 3 * 2
    page = static_explorer(model, seeds=(0,))
    assert len(page.frames) == 1 * 2  # one seed x K = 2, no continuous code
    assert png_size_and_mode(page.frames[1]) == ((134, 134), "RGB")


@pytest.mark.slow
def test_several_seeds_on_a_folder_pick_on_the_training_images(tmp_path: Path, capsys) -> None:
    folder, out = photos(tmp_path / "photos", n=16), tmp_path / "seeds"
    assert train(folder, out, "--image-size", "28", "--seeds", "0-1", "--steps", "2") == 0
    assert "label-free pick (stability, unlabelled train images)" in capsys.readouterr().out
    assert sorted(p.parent.name for p in out.glob("seed-*/checkpoint.pt")) == ["seed-0", "seed-1"]


def test_a_bad_folder_is_one_line_and_no_run_folder(tmp_path: Path, capsys) -> None:
    one = tmp_path / "one"
    draw_folder(one, 1, random.Random(0))
    few = photos(tmp_path / "few", n=5)
    cases = {
        str(tmp_path / "missing"): ["does not exist"],
        str(one): ["holds 1 image", "too few"],
        str(few): ["holds 5 images", "fewer than one batch of 8", "--set batch_size=4"],
    }
    for path, words in cases.items():
        out = tmp_path / "run"
        assert main(["train", "--dataset", f"folder:{path}", "--image-size", "28", "--out", str(out), *TINY]) == 2
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and err.startswith("error: ") and all(w in err for w in words), err
        assert not out.exists()  # nothing half-written


# the --codes spelling, by hand: cat:K adds one categorical code with K values, cont:N adds N continuous codes
CODES = {
    "cat:10,cont:2": ((10,), 2),
    "cat:10,cat:10,cont:2": ((10, 10), 2),
    "cont:2,cat:5": ((5,), 2),
    "cat:10": ((10,), 0),
    "cont:3": ((), 3),
    " cat:4 , cont:1 , cont:1": ((4,), 2),
}


@pytest.mark.parametrize(("text", "expected"), sorted(CODES.items()))
def test_codes_spelling(text: str, expected: tuple[tuple[int, ...], int]) -> None:
    assert parse_codes(text) == {"categorical": expected[0], "continuous": expected[1]}


def test_codes_are_written_back_in_the_same_spelling() -> None:
    assert format_codes([10, 10], 2) == "cat:10,cat:10,cont:2"
    assert format_codes((5,), 0) == "cat:5" and format_codes((), 1) == "cont:1"


@pytest.mark.parametrize("case", FOLDER_CASES, ids=lambda c: c.name)
def test_every_folder_case_of_the_table_gets_its_documented_verdict(tmp_path: Path, case) -> None:
    for seed in range(2):
        work = tmp_path / str(seed)
        work.mkdir()
        out = folder_outcome(case, random.Random(f"{case.name}-{seed}"), work)
        assert out.handled and not out.lost, out.note


def test_the_folder_cases_cover_both_verdicts() -> None:
    verdicts = [c.valid for c in FOLDER_CASES]
    assert verdicts.count(True) >= 4 and verdicts.count(False) >= 8
    assert np.unique([c.name for c in FOLDER_CASES]).size == len(FOLDER_CASES)


def test_catalogue() -> None:
    from .reliability.catalogue import fault_class, run_class

    handled, lost, notes = run_class(fault_class("folder-bad-images"), 40)
    assert (handled, lost) == (40, 0), notes[:5]
