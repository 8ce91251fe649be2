"""Wrong values for TrainConfig, LatentSpec and the command line, judged against hand-written tables of cases.

Each row of a table is a value and the verdict its documentation gives it: the field comments and docstrings of
`infogan_edu.config.TrainConfig` and `infogan_edu.latent.LatentSpec`, their validation messages, and the help of
`train --set`. The verdicts were written down by hand, not computed: the oracle does not repeat the code it judges.
A trial draws one to three rows (of different fields) and checks that a valid combination is accepted, and that an
invalid one is ONE ValueError (on the command line: one line on stderr, status 2, before any data is read) that
names a wrong field.
"""

from __future__ import annotations

import contextlib
import io
import random
import re
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from infogan_edu import cli
from infogan_edu.config import TrainConfig
from infogan_edu.latent import LatentSpec

from .common import Outcome, one_line, patched

NAN, INF = float("nan"), float("inf")


class Case(NamedTuple):
    field: str
    value: object  # a Python value (TrainConfig, LatentSpec) or the text after `--set FIELD=`
    valid: bool


class CliCase(NamedTuple):
    args: tuple[str, ...]  # after `train --out DIR --preset cpu --no-progress`
    bad: str | None  # the word a refusal must name; None: the arguments are valid
    out: bool = True  # False: no --out


def rows(fields: Sequence[str], verdicts: Sequence[tuple[object, bool]]) -> list[Case]:
    """The same (value, verdict) rows for every field that shares one documented rule."""
    return [Case(field, value, valid) for field in fields for value, valid in verdicts]


# ------------------------------------------------------------------------------------------------ Python values
COUNTS = ["steps", "batch_size", "log_every", "eval_every", "ckpt_every"]
FLAGS = ["fixed_std", "info_trains_trunk", "info_to_generator"]
AUTO_FLAGS = ["channels_last", "bf16", "compile", "fused_adam"]  # True, False or None: the device's default
LATENT_FIELDS = ["noise", "categorical", "continuous", "noise_prior", "noise_scale"]
# fmt: off
# not a number (nor a tuple of them) at all: wrong for every numeric field
NOT_NUMBERS = [(None, False), ("x", False), ("", False), ("64", False), ([1], False), ({}, False), ((1,), False),
               (b"1", False)]

CONFIG_CASES: list[Case] = [
    # device types torch parses but this library does not train on
    Case("device", "mps", False),
    Case("device", "meta", False),
    Case("device", "xpu", False),
    # "a positive int" (numpy integers too: LatentSpec and TrainConfig store them as plain ints); a bool is not a
    # count; 2**63 and above are refused, as they do not fit the int64 a checkpoint and torch hold
    *rows(COUNTS, [(1, True), (64, True), (np.int64(7), True), (2**63 - 1, True), (0, False), (-1, False),
                   (np.int64(0), False), (64.0, False), (1.5, False), (-0.5, False), (True, False), (False, False),
                   (NAN, False), (INF, False), (2**63, False), (2**64, False), *NOT_NUMBERS]),
    # "an int >= 0 (below 2**63 - 1)": seed + 1 seeds the latent stream
    *rows(["seed"], [(0, True), (3, True), (np.int32(3), True), (2**63 - 2, True), (2**63 - 1, False),
                     (2**64, False), (-1, False), (1.5, False), (0.0, False), (True, False), (False, False),
                     (NAN, False), *NOT_NUMBERS]),
    # "a finite number > 0" (lr_d, lr_g, width); LatentSpec.noise_scale: "a positive, finite number"
    *rows(["lr_d", "lr_g", "width", "noise_scale"], [(1e-3, True), (0.25, True), (1, True), (1.5, True),
                                                     (2**64, True), (0, False), (0.0, False), (-0.5, False),
                                                     (-1, False), (NAN, False), (INF, False), (-INF, False),
                                                     (True, False), (False, False), ("1e-3", False),
                                                     *NOT_NUMBERS]),
    # "a finite number >= 0": 0 turns the term off
    *rows(["lambda_cat", "lambda_cont", "lambda_invariance"], [(0, True), (0.0, True), (-0.0, True), (0.1, True),
                                                               (1.5, True), (2**64, True), (-0.5, False),
                                                               (-1, False), (-1e-9, False), (NAN, False),
                                                               (INF, False), (True, False), (False, False),
                                                               *NOT_NUMBERS]),
    # LatentSpec: noise "an int >= 1", continuous "an int >= 0" (no upper bound: a huge size fails later, for
    # want of memory)
    *rows(["noise"], [(1, True), (62, True), (np.int16(8), True), (2**64, True), (0, False), (-1, False),
                      (8.0, False), (1.5, False), (True, False), (NAN, False), (INF, False), *NOT_NUMBERS]),
    *rows(["continuous"], [(0, True), (2, True), (np.int64(3), True), (-1, False), (2.0, False), (1.5, False),
                           (True, False), (False, False), (NAN, False), *NOT_NUMBERS]),
    # "a tuple of ints (the number of values of each categorical code)", each >= 2; a list (as JSON gives it); a
    # bare int is one code (the message for -1 names categorical[0]); () leaves the continuous codes only
    *rows(["categorical"], [((10,), True), ((10, 4), True), ([10], True), ((), True), ([], True), (10, True),
                            (2, True), (np.int64(10), True), ((np.int64(3),), True), (2**64, True),
                            ((10, 1), False), ((1,), False), ((10, True), False), ((10.0,), False), (("10",), False),
                            ((10, None), False), ([1], False), (1, False), (0, False), (-1, False), (1.5, False),
                            (True, False), (NAN, False), (None, False), ("10", False), ("x", False), ("", False),
                            ({}, False), ({10: 1}, False), (b"\x0a", False), (b"1", False)]),
    # 'uniform' or 'normal'; the loss: one of ('nonsaturating', 'minimax'); Q's optimiser: one of ('d', 'g')
    *rows(["noise_prior"], [("uniform", True), ("normal", True), ("Normal", False), ("gaussian", False),
                            ("", False), ("x", False), (None, False), (0, False), (True, False), (["normal"], False),
                            (b"normal", False)]),
    *rows(["g_loss"], [("nonsaturating", True), ("minimax", True), ("non-saturating", False), ("MINIMAX", False),
                       ("wasserstein", False), ("", False), (None, False), (1, False), (True, False),
                       (("minimax",), False), (b"minimax", False)]),
    *rows(["q_optimizer"], [("d", True), ("g", True), ("D", False), ("dg", False), ("q", False), ("", False),
                            (None, False), (0, False), (True, False), (["d"], False)]),
    # the networks: one of ('mnist', 'svhn-celeba')
    *rows(["network"], [("mnist", True), ("svhn-celeba", True), ("MNIST", False), ("svhn", False), ("celeba", False),
                        ("", False), (None, False), (0, False), (True, False), (["mnist"], False)]),
    # "two numbers in [0, 1) (Adam's beta1, beta2)"; a list as JSON gives it
    *rows(["betas"], [((0.5, 0.999), True), ((0.0, 0.0), True), ((0, 0), True), ([0.9, 0.99], True),
                      ((0.5,), False), ((1.0, 0.9), False), ((0.5, 1), False), ((-0.1, 0.9), False),
                      ((NAN, 0.9), False), ((0.5, INF), False), ((True, 0.9), False), ((0.5, "0.9"), False),
                      ((0.5, None), False), ((0.5, 0.9, 0.99), False), ((), False), ("0.5,0.9", False),
                      (b"\x00\x00", False), (0.5, False), (True, False), (NAN, False), *NOT_NUMBERS]),
    # "True or False"; the fast path's switches: "True, False or None (auto)"
    *rows(FLAGS, [(True, True), (False, True), (None, False), (1, False), (0, False), (1.5, False), (NAN, False),
                  ("true", False), ("no", False), ("", False), ([True], False), (b"1", False)]),
    *rows(AUTO_FLAGS, [(True, True), (False, True), (None, True), (1, False), (0, False), (1.5, False),
                       ("true", False), ("none", False), ("", False), ([1], False), ({}, False),
                       (b"1", False)]),
    # "a string": a label (preset), or a name that is checked where it is used (dataset by load_dataset,
    # compile_mode by torch.compile)
    *rows(["preset", "dataset", "compile_mode"], [("custom", True), ("x", True), ("", True), (None, False),
                                                  (1, False), (0, False), (True, False), (NAN, False),
                                                  ([1], False), (("x",), False), (b"x", False),
                                                  ({}, False)]),
    *rows(["dataset"], [("mnist", True), ("fashion-mnist", True)]),
    # "folder:PATH": a folder of your own images (data.folder); "folder:" alone names no folder
    *rows(["dataset"], [("folder:/data/photos", True), ("folder:photos", True), ("folder:", False),
                        ("folder:  ", False)]),
    *rows(["compile_mode"], [("reduce-overhead", True), ("max-autotune", True)]),
    # "'auto', 'cpu' or 'cuda[:N]'" ("auto": cuda if available, else cpu); a CUDA name is valid without a GPU
    # (pick_device refuses it when training starts)
    *rows(["device"], [("auto", True), ("cpu", True), ("cuda", True), ("cuda:0", True), ("cuda:1", True),
                       ("gpu", False), ("cuda:x", False), ("cuda:-1", False), ("CPU", False), ("Auto", False),
                       ("", False), ("x", False), ("0", False), (None, False), (0, False), (-1, False),
                       (1.5, False), (True, False), (["cpu"], False), (b"cpu", False), ({}, False)]),
    # "one or more of ('shift', 'rotate', 'scale'), each once", as a tuple, a list or a string "shift,rotate"
    *rows(["invariance_parts"], [(("shift", "rotate", "scale"), True), (("shift",), True), (["rotate", "scale"], True),
                                 (("scale", "shift"), True), ("shift,rotate", True), ("scale", True), ((), False),
                                 ([], False), (("shift", "shift"), False), ("shift,shift", False), (("flip",), False),
                                 (("Shift",), False), (("shift", 1), False), ("x", False), ("", False),
                                 (None, False), (0, False), (True, False), ([1], False), ({}, False),
                                 (b"shift", False)]),
]

# The one documented rule between fields: LatentSpec "needs at least one code" (categorical=() and continuous=0
# is a plain GAN). Random combinations never draw categorical and continuous together; these rows do.
JOINT_CASES: list[tuple[dict[str, object], bool]] = [
    ({"categorical": (), "continuous": 0}, False),
    ({"categorical": [], "continuous": 0}, False),
    ({"categorical": (), "continuous": 1}, True),
    ({"categorical": (2,), "continuous": 0}, True),
    ({"categorical": (10, 10), "continuous": 0, "noise": 1}, True),
]

LATENT_CASES = [c for c in CONFIG_CASES if c.field in LATENT_FIELDS]

# ------------------------------------------------------------------------------------------------ --set FIELD=TEXT
# `--set` types the text by the field ("true/false/none, numbers, and comma-separated tuples such as
# categorical=10,10"); then TrainConfig's rules above apply.
SET_CASES: list[Case] = [
    *rows(COUNTS, [("1", True), ("64", True), (str(2**63 - 1), True), ("0", False), ("-1", False), ("1.5", False),
                   ("1e3", False), ("64.0", False), (str(2**63), False), (str(2**64), False), ("", False),
                   ("x", False), ("true", False), ("nan", False), ("inf", False), ("1,2", False)]),
    *rows(["seed"], [("0", True), ("7", True), (str(2**63 - 2), True), (str(2**63 - 1), False), ("-1", False),
                     ("1.5", False), ("1e3", False), ("", False), ("x", False), ("none", False)]),
    *rows(["lr_d", "lr_g", "width", "noise_scale"], [("1e-3", True), ("4E-4", True), ("0.5", True), ("2", True),
                                                     ("0", False), ("-1", False), ("-0.5", False), ("nan", False),
                                                     ("inf", False), ("-inf", False), ("1e999", False), ("", False),
                                                     ("x", False), ("1,2,3", False), ("true", False)]),
    *rows(["lambda_cat", "lambda_cont", "lambda_invariance"], [("0", True), ("0.1", True), ("1e-3", True),
                                                               ("-1", False), ("-1e-9", False), ("nan", False),
                                                               ("inf", False), ("", False), ("x", False),
                                                               ("true", False), ("0,1", False)]),
    *rows(["noise"], [("1", True), ("62", True), (str(2**64), True), ("0", False), ("-1", False), ("0.5", False),
                      ("62.0", False), ("", False), ("x", False), ("1,2", False)]),
    *rows(["continuous"], [("0", True), ("2", True), ("-1", False), ("1.5", False), ("", False), ("x", False),
                           ("true", False)]),
    *rows(["categorical"], [("10", True), ("10,10", True), ("10,4,2", True), ("2", True), ("1", False), ("0", False),
                            ("-1", False), ("1,2,3", False), ("10,1", False), ("10.0", False), ("10,", False),
                            ("", False), ("x", False), ("true", False)]),
    *rows(["noise_prior"], [("normal", True), ("uniform", True), ("Normal", False), ("gaussian", False), ("", False),
                            ("1", False)]),
    *rows(["g_loss"], [("minimax", True), ("nonsaturating", True), ("non-saturating", False), ("", False),
                       ("true", False)]),
    *rows(["q_optimizer"], [("d", True), ("g", True), ("D", False), ("", False), ("0", False)]),
    *rows(["network"], [("mnist", True), ("svhn-celeba", True), ("svhn", False), ("", False), ("1", False)]),
    *rows(["betas"], [("0.5,0.999", True), ("0,0", True), ("0.9,0.99", True), ("0.5", False), ("1,2,3", False),
                      ("0.9,1", False), ("-0.1,0.9", False), ("nan,0.9", False), ("0.5,inf", False), ("", False),
                      ("x,y", False), ("0.5;0.9", False)]),
    *rows(["invariance_parts"], [("shift", True), ("shift,rotate,scale", True), ("rotate,scale", True),
                                 ("shift,shift", False), ("flip", False), ("Shift", False), ("shift,,rotate", False),
                                 ("", False)]),
    # "true/false" (in any case); "none" only where None is allowed. The help names only true/false, but the CLI
    # also reads 1/0/yes/no (a harmless superset, judged right; the help could say so)
    *rows(FLAGS, [("true", True), ("false", True), ("True", True), ("FALSE", True), ("1", True), ("0", True),
                  ("yes", True), ("no", True), ("none", False), ("", False), ("x", False), ("2", False),
                  ("on", False)]),
    *rows(AUTO_FLAGS, [("true", True), ("false", True), ("none", True), ("None", True), ("1", True), ("yes", True),
                       ("", False), ("x", False), ("0.5", False)]),
    *rows(["dataset"], [("mnist", True), ("fashion-mnist", True), ("x", True), ("", True), ("folder:/data/x", True),
                        ("folder:x", True), ("folder:", False)]),
    *rows(["compile_mode"], [("max-autotune", True), ("default", True), ("x", True)]),
    *rows(["device"], [("cpu", True), ("auto", True), ("cuda", True), ("cuda:1", True), ("gpu", False),
                       ("cuda:x", False), ("CPU", False), ("", False), ("0", False), ("true", False)]),
    # the preset is chosen with --preset, not set; unknown fields
    Case("preset", "cpu", False),
    Case("preset", "paper", False),
    Case("learning_rate", "1e-3", False),
    Case("Lr_d", "1e-3", False),
    Case("lr-d", "1e-3", False),
]


# ------------------------------------------------------------------------------------------------ train's options
CLI_CASES: list[CliCase] = [
    # a field given both by its option and by --set is refused (neither spelling may silently win)
    CliCase(("--steps", "12", "--set", "steps=0"), "steps"),
    CliCase(("--seed", "-3", "--set", "seed=5"), "seed"),
    CliCase(("--steps", "12", "--set", "steps=12"), "steps"),
    # --steps: "total training steps", a positive int like TrainConfig.steps
    *(CliCase(("--steps", text), None) for text in ("12", "1", str(2**63 - 1))),
    *(CliCase(("--steps", text), "steps") for text in ("0", "-3", "abc", "", "2.5", "1e3", str(2**63), str(2**70))),
    # --seed: "random seed", an int >= 0 below 2**63 - 1 like TrainConfig.seed
    *(CliCase(("--seed", text), None) for text in ("0", "7", str(2**63 - 2))),
    *(CliCase(("--seed", text), "seed") for text in (str(2**63 - 1), "-3", "abc", "1.5", "", str(2**70))),
    # --dataset: mnist or fashion-mnist; --preset: cpu or paper
    *(CliCase(("--dataset", text), None) for text in ("mnist", "fashion-mnist")),
    *(CliCase(("--dataset", text), "dataset") for text in ("cifar", "MNIST", "")),
    *(CliCase(("--preset", text), None) for text in ("cpu", "paper")),
    *(CliCase(("--preset", text), "preset") for text in ("gpu", "CPU", "")),
    # --dataset folder:PATH: any path is an argument (the folder is read with the data); "folder:" alone is not
    *(CliCase(("--dataset", text), None) for text in ("folder:/no/such/folder", "folder:photos", "folder:~/p q")),
    *(CliCase(("--dataset", text), "dataset") for text in ("folder:", "folder: ", "Folder:/x", "folder")),
    # --image-size 28, 32 or 64 and --rgb: "with --dataset folder:PATH" only (the default dataset is mnist)
    *(CliCase(args, "image-size") for args in (("--image-size", "64"), ("--image-size", "28"), ("--image-size", "32"),
                                               ("--image-size", "x"), ("--dataset", "folder:/x", "--image-size", "16"),
                                               ("--dataset", "folder:/x", "--image-size", "0"))),
    CliCase(("--dataset", "folder:/x", "--image-size", "32"), None),
    CliCase(("--rgb",), "rgb"),
    CliCase(("--dataset", "folder:/x", "--image-size", "28", "--rgb"), None),
    # --codes: comma-separated cat:K (one categorical code, K >= 2 values) and cont:N (N >= 1 continuous codes)
    *(CliCase(("--codes", text), None) for text in ("cat:10,cont:2", "cat:10,cat:10,cont:2", "cat:2", "cont:1",
                                                     "cont:2,cat:5", " cat:4 , cont:1 ", "cat:10,cont:1,cont:1")),
    *(CliCase(("--codes", text), "codes") for text in ("", "10", "cat:1", "cat:0", "cont:0", "cat:10,", ",cat:10",
                                                        "cat:x", "cat:-3", "cat10", "cat:10;cont:2", "gauss:2",
                                                        "cat:10,cont", "cat:1.5", "CAT:10", "cat:\u0661\u0660",
                                                        "cat:10,cat:1", "cat:", ":10")),
    CliCase(("--codes", "cat:10", "--set", "categorical=10"), "codes"),  # the codes given twice
    CliCase(("--codes", "cont:2", "--set", "continuous=2"), "codes"),
    CliCase(("--lambda0-control",), None),
    CliCase(("--learning-rate", "3"), "--learning-rate"),
    CliCase((), "--out", out=False),
]
# fmt: on


# ------------------------------------------------------------------------------------------------ disagreements
# Cases where the documented verdict (kept here) is not what the library does, and the library is judged wrong. The
# trials never draw them; the tests mark them as expected failures (strict), so that a fix in the library shows.


# ------------------------------------------------------------------------------------------------ the trials
def names(text: str, word: str) -> bool:
    """Whether `text` names `word` as a whole (`noise` is not named by `noise_scale`, `seed` not by `--seeds`)."""
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) is not None


def draw(rng: random.Random, table: Sequence[Case], most: int) -> list[Case]:
    """One case (most often) to `most` cases of different fields; never categorical with continuous together (their
    joint rule has its own table)."""
    k = rng.choice([1, 1, *range(1, most + 1)])
    chosen: list[Case] = []
    while len(chosen) < k:
        case = rng.choice(table)
        fields = {c.field for c in chosen}
        if case.field not in fields and not {"categorical", "continuous"} <= fields | {case.field}:
            chosen.append(case)
    return chosen


def _refusal(values: dict[str, object], valid: bool | None, named: Collection[str], build: type) -> Outcome:
    label = ", ".join(f"{k}={v!r}" for k, v in values.items())
    try:
        build(**values)
    except ValueError as e:
        msg = str(e)
        prefix = build.__name__ if build is LatentSpec else ""
        ok = valid is not True and one_line(msg) and prefix in msg and any(names(msg, f) for f in named or values)
        return Outcome(ok, note="" if ok else f"{label}: {msg}")
    except Exception as e:  # any other exception type is a failure of the promise
        return Outcome(False, note=f"{label}: {type(e).__name__}: {e}")
    return Outcome(valid is not False, note="" if valid is not False else f"{label} was accepted")


def config_outcome(values: dict[str, object], valid: bool | None, named: Collection[str] = ()) -> Outcome:
    """TrainConfig(**values): accepted when `valid`, else one ValueError on one line naming a field of `named`
    (default: any of `values`). `valid=None`: the verdict is unknown, only the form of a refusal is checked."""
    return _refusal(values, valid, named, TrainConfig)


def latent_outcome(values: dict[str, object], valid: bool | None, named: Collection[str] = ()) -> Outcome:
    """As `config_outcome`, for LatentSpec(**values); the message names LatentSpec too."""
    return _refusal(values, valid, named, LatentSpec)


def trial_config(rng: random.Random, work: Path) -> Outcome:  # noqa: ARG001
    if rng.random() < 0.05:
        values, valid = rng.choice(JOINT_CASES)
        return config_outcome(values, valid)
    cases = draw(rng, CONFIG_CASES, 3)
    values = {c.field: c.value for c in cases}
    return config_outcome(values, all(c.valid for c in cases), [c.field for c in cases if not c.valid])


def trial_latent(rng: random.Random, work: Path) -> Outcome:  # noqa: ARG001
    if rng.random() < 0.05:
        values, valid = rng.choice(JOINT_CASES)
        return latent_outcome(values, valid)
    cases = draw(rng, LATENT_CASES, 2)
    values = {c.field: c.value for c in cases}
    return latent_outcome(values, all(c.valid for c in cases), [c.field for c in cases if not c.valid])


class ReachedData(Exception):
    """Raised instead of reading the data: every argument was accepted."""


def cli_outcome(argv: list[str], bad: str | Collection[str] | None, *, known: bool = True) -> Outcome:
    """Run the CLI in-process. `bad`: the word its error must name (or words, one of which it must name), None when
    `argv` is valid. `known=False`: the verdict is unknown; reaching the data is fine, and a refusal must be one
    line, status 2, naming a word of `bad`."""
    words = [bad] if isinstance(bad, str) else list(bad or ())
    err = io.StringIO()

    def no_data(*a: object, **k: object) -> None:
        raise ReachedData

    quiet = contextlib.redirect_stdout(io.StringIO())
    with patched(cli, "_load_data", no_data), contextlib.redirect_stderr(err), quiet:
        try:
            status = cli.main(argv)
        except SystemExit as e:
            status = e.code
        except ReachedData:
            ok = not words or not known
            return Outcome(ok, note="" if ok else f"{argv}: accepted")
    text = err.getvalue()
    ok = bool(words) and status not in (0, None) and one_line(text) and any(names(text, w) for w in words)
    return Outcome(ok, note="" if ok else f"{argv}: status {status}: {text.strip()[:300]}")


def cli_case_argv(case: CliCase, sets: Sequence[Case], out: Path) -> list[str]:
    argv = ["train", *(["--out", str(out)] if case.out else []), "--preset", "cpu", "--no-progress", *case.args]
    return argv + [arg for s in sets for arg in ("--set", f"{s.field}={s.value}")]


def trial_cli(rng: random.Random, work: Path) -> Outcome:
    case = rng.choice(CLI_CASES)
    # the precedence of --steps (--seed, ...) over --set steps=... is not documented: the two are not drawn together
    # (nor --codes with --set categorical / continuous, refused by rows of their own, nor --image-size and --rgb
    # with --set dataset, which may name a folder)
    own = {case.args[0].lstrip("-")} if case.args else set()
    own |= {"categorical", "continuous"} if "codes" in own else {"dataset"} if own & {"image-size", "rgb"} else set()
    sets = draw(rng, [s for s in SET_CASES if s.field not in own], 2) if rng.random() < 0.7 else []
    bad = ([case.bad] if case.bad else []) + [s.field for s in sets if not s.valid]
    return cli_outcome(cli_case_argv(case, sets, work / "cli-out"), bad or None)
