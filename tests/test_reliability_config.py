"""Wrong types and ranges for LatentSpec, TrainConfig and the command line (tables of cases, property-based tests,
and the catalogue).

The oracle is a set of hand-written tables (tests/reliability/inputs.py: CONFIG_CASES, SET_CASES, CLI_CASES), each
row a value and the verdict its documentation gives it. A wrong value must be ONE ValueError that names the field,
and on the command line one line on stderr with status 2, before any data is read. The property-based tests draw
values no table lists: there the verdict is unknown, and only the form of a refusal is checked.
"""

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from infogan_edu import cli
from infogan_edu.config import DeviceError, TrainConfig, get_preset, pick_device

from .reliability.catalogue import fault_class, run_class
from .reliability.common import Outcome, tiny_config, tiny_images
from .reliability.inputs import (
    CLI_CASES,
    CONFIG_CASES,
    JOINT_CASES,
    LATENT_CASES,
    LATENT_FIELDS,
    SET_CASES,
    CliCase,
    ReachedData,
    cli_case_argv,
    cli_outcome,
    config_outcome,
    latent_outcome,
)

set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "infogan-edu-hypothesis")
PROPERTY = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ROOT = Path(__file__).resolve().parents[1]

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.integers(-3, 12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.sampled_from(["auto", "cpu", "cuda", "gpu", "uniform", "normal", "minimax", "d", "g", "nonsaturating"]),
    st.lists(st.integers(-3, 12), max_size=3),
    st.tuples(st.floats(-1, 2), st.floats(-1, 2)),
    st.tuples(st.integers(-3, 12)),
    st.binary(max_size=2),
    st.dictionaries(st.text(max_size=1), st.integers(), max_size=1),
)
FIELDS = sorted(TrainConfig.__dataclass_fields__)


def failures(outcomes: Iterable[Outcome]) -> list[str]:
    """The notes of the outcomes that were not handled (an empty list when the library agrees with the table)."""
    return [out.note for out in outcomes if not out.handled]


def test_trainconfig_gives_every_case_of_the_table_its_documented_verdict() -> None:
    assert failures(config_outcome({c.field: c.value}, c.valid) for c in CONFIG_CASES) == []
    assert failures(config_outcome(values, valid) for values, valid in JOINT_CASES) == []


def test_latentspec_gives_every_case_of_the_table_its_documented_verdict() -> None:
    assert failures(latent_outcome({c.field: c.value}, c.valid) for c in LATENT_CASES) == []
    assert failures(latent_outcome(values, valid) for values, valid in JOINT_CASES) == []


def test_every_set_case_of_the_table_gets_its_documented_verdict(tmp_path) -> None:
    plain = CliCase((), None)
    outcomes = [cli_outcome(cli_case_argv(plain, [c], tmp_path / "r"), None if c.valid else c.field) for c in SET_CASES]
    assert failures(outcomes) == []


def test_every_option_case_of_the_table_gets_its_documented_verdict(tmp_path) -> None:
    assert failures(cli_outcome(cli_case_argv(c, [], tmp_path / "r"), c.bad) for c in CLI_CASES) == []


def test_the_tables_cover_every_field_with_both_verdicts() -> None:
    # so that the tables are neither "accept everything" nor "refuse everything", field by field (on the command
    # line, every text is a valid dataset or compile_mode: they are strings)
    for table, fields in ((CONFIG_CASES, FIELDS), (SET_CASES, [f for f in FIELDS if f != "preset"])):
        for field in fields:
            verdicts = [c.valid for c in table if c.field == field]
            refused = 0 if table is SET_CASES and field in ("dataset", "compile_mode") else 2
            assert verdicts.count(True) >= 1 and verdicts.count(False) >= refused, (field, verdicts)
    assert {c.field for c in CONFIG_CASES} == set(FIELDS)
    assert {c.field for c in LATENT_CASES} == set(LATENT_FIELDS)


def test_the_defaults_are_plain_data() -> None:
    assert json.dumps(TrainConfig().to_dict())


@PROPERTY
@given(field=st.sampled_from(FIELDS), value=values)
def test_trainconfig_accepts_or_names_the_field_in_one_valueerror(field, value) -> None:
    out = config_outcome({field: value}, None)
    assert out.handled, out.note


@PROPERTY
@given(field=st.sampled_from(LATENT_FIELDS), value=values)
def test_latentspec_accepts_or_names_the_field_in_one_valueerror(field, value) -> None:
    out = latent_outcome({field: value}, None)
    assert out.handled, out.note


SET_FIELDS = [f for f in FIELDS if f != "preset"]
set_text = st.text(alphabet="0123456789-.,eEinfatrusxyo:", max_size=8)


@pytest.mark.slow
@PROPERTY
@given(field=st.sampled_from(SET_FIELDS), text=set_text)
def test_every_refused_set_value_is_one_line_naming_the_field(field, text, tmp_path) -> None:
    argv = ["train", "--out", str(tmp_path / "run"), "--preset", "cpu", "--set", f"{field}={text}"]
    out = cli_outcome(argv, field, known=False)
    assert out.handled, out.note


@pytest.mark.slow
@PROPERTY
@given(flag=st.sampled_from(["--steps", "--seed", "--dataset", "--preset", "--seeds"]), text=set_text)
def test_every_refused_option_is_one_line_naming_it(flag, text, tmp_path) -> None:
    argv = ["train", "--out", str(tmp_path / "run"), "--preset", "cpu", flag, text]
    if flag == "--preset":
        argv = argv[:3] + argv[5:]
    out = cli_outcome(argv, flag.strip("-"), known=False)
    assert out.handled, out.note


def test_steps_zero_is_refused_not_replaced_by_the_default(tmp_path) -> None:
    # `if args.steps:` used to treat --steps 0 as "not given" and train the preset's 3,600 steps
    out = cli_outcome(["train", "--out", str(tmp_path / "r"), "--preset", "cpu", "--steps", "0"], "steps")
    assert out.handled, out.note


def test_a_bad_config_is_reported_before_the_data_is_read(tmp_path) -> None:
    # the config used to be built after load_dataset: without data, a typo gave a "data not found" page instead
    out = cli_outcome(["train", "--out", str(tmp_path / "r"), "--set", "width=0"], "width")
    assert out.handled, out.note


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"categorical": {}}, "LatentSpec.categorical must be a tuple"),  # tuple({}) == () used to be accepted
        ({"categorical": b"\x0a"}, "LatentSpec.categorical must be a tuple"),  # tuple(b"\n") == (10,)
        ({"categorical": -1}, r"LatentSpec.categorical\[0\] must be >= 2"),  # TypeError: not iterable
        ({"betas": (0.5,)}, "TrainConfig.betas must be two numbers"),  # IndexError inside Adam
        ({"lambda_cat": float("nan")}, "TrainConfig.lambda_cat must be a finite number"),  # NaN losses
        ({"lr_d": float("inf")}, "TrainConfig.lr_d must be a finite number"),
        ({"lr_g": "1e-3"}, "TrainConfig.lr_g must be a finite number"),  # TypeError: '>' not supported
        ({"device": "gpu"}, "TrainConfig.device must be"),  # RuntimeError from torch.device, later
        ({"seed": 2**64}, "TrainConfig.seed must be an int"),  # "Overflow when unpacking long"
        ({"fixed_std": "no"}, "TrainConfig.fixed_std must be True or False"),  # a truthy string
        ({"compile": 1}, "TrainConfig.compile must be True, False or None"),
    ],
)
def test_values_that_used_to_slip_through(kwargs: dict, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        TrainConfig(**kwargs)


def test_numpy_integers_are_accepted_and_stored_as_plain_ints(tmp_path) -> None:
    cfg = TrainConfig(steps=np.int64(7), seed=np.int32(3), categorical=(np.int64(10),), noise=np.int16(8))
    assert (cfg.steps, cfg.seed, cfg.categorical, cfg.noise) == (7, 3, (10,), 8)
    assert all(type(v) is int for v in (cfg.steps, cfg.seed, cfg.categorical[0], cfg.noise))
    torch.save(cfg.to_dict(), tmp_path / "c.pt")  # plain data: loads under weights_only
    assert TrainConfig.from_dict(torch.load(tmp_path / "c.pt", weights_only=True)) == cfg


def test_an_unknown_field_in_replace_or_get_preset_is_one_valueerror() -> None:
    with pytest.raises(ValueError, match=r"unknown TrainConfig field\(s\) \['learning_rate'\]"):
        get_preset("cpu", learning_rate=1e-3)


def test_a_device_that_does_not_exist_is_a_valueerror_and_still_a_runtimeerror(monkeypatch) -> None:
    monkeypatch.setenv("INFOGAN_EDU_DEVICE", "gpu")
    with pytest.raises(DeviceError, match=r"\$INFOGAN_EDU_DEVICE is 'gpu', not a device name"):
        pick_device()
    monkeypatch.delenv("INFOGAN_EDU_DEVICE")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA GPU"):
        pick_device("cuda")
    assert issubclass(DeviceError, RuntimeError)


def test_cuda_on_a_machine_without_one_ends_the_cli_in_one_line(tmp_path, monkeypatch, capsys) -> None:
    from ._tiny import tiny_data

    x, y = tiny_data()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.delenv("INFOGAN_EDU_DEVICE", raising=False)
    monkeypatch.setattr(cli, "_load_data", lambda dataset, root: (x, x[:32], y[:32]))
    assert cli.main(["train", "--out", str(tmp_path / "r"), "--preset", "cpu", "--set", "device=cuda"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: device 'cuda' was requested but this PyTorch sees no CUDA GPU")
    assert err.count("\n") == 1


def test_argparse_errors_are_one_line(capsys) -> None:
    with pytest.raises(SystemExit) as e:
        cli.main(["train", "--steps", "ten", "--out", "x"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err == "error: argument --steps: invalid int value: 'ten' (see `python -m infogan_edu train --help`)\n"


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, words",
    [
        (["--set", "lr_d=nan"], "error: TrainConfig.lr_d must be a finite number > 0, got nan"),
        (["--steps", "abc"], "error: argument --steps: invalid int value: 'abc'"),
    ],
)
def test_a_real_process_exits_2_with_one_line(args: list[str], words: str, tmp_path) -> None:
    cmd = [sys.executable, "-m", "infogan_edu", "train", "--preset", "cpu", "--out", str(tmp_path / "r"), *args]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 2 and out.stderr.startswith(words), out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr and not (tmp_path / "r").exists()


@pytest.mark.parametrize("name, trials", [("config-wrong-value", 400), ("latent-wrong-value", 200),
                                          ("cli-bad-arguments", 150)])  # fmt: skip
def test_catalogue(name: str, trials: int) -> None:
    handled, lost, notes = run_class(fault_class(name), trials)
    assert (handled, lost) == (trials, 0), notes[:5]


def test_resume_continues_on_the_dataset_the_run_was_trained_on(tmp_path, monkeypatch, capsys) -> None:
    # --dataset defaulted to mnist, so resuming a Fashion-MNIST run without repeating it continued on MNIST
    from infogan_edu.train import Trainer

    run = tmp_path / "run"
    Trainer(tiny_config(dataset="fashion-mnist"), tiny_images(), progress=False).save(run / "checkpoint.pt")
    asked = []

    def record(dataset, root):
        asked.append(dataset)
        raise ReachedData

    monkeypatch.setattr(cli, "_load_data", record)
    with pytest.raises(ReachedData):
        cli.main(["train", "--out", str(run), "--resume", "--no-progress"])
    assert asked == ["fashion-mnist"]
    assert cli.main(["train", "--out", str(run), "--resume", "--dataset", "mnist"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --dataset mnist, but") and "trained on fashion-mnist" in err and asked == asked[:1]


def test_a_model_too_big_for_memory_ends_the_cli_in_one_line(tmp_path, monkeypatch, capsys) -> None:
    # a valid but absurd size (10^11 noise dims) used to end in torch's allocator traceback
    from ._tiny import tiny_data

    x, y = tiny_data()
    monkeypatch.setattr(cli, "_load_data", lambda dataset, root: (x, x[:32], y[:32]))
    argv = ["train", "--out", str(tmp_path / "r"), "--preset", "cpu", "--set", "noise=100000000000"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: out of memory (") and "smaller width, batch_size or latent code" in err
    assert err.count("\n") == 1 and not (tmp_path / "r" / "checkpoint.pt").exists()
