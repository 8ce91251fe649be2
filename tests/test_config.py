"""The presets, the one CPU/GPU switch and the fast-path defaults (no GPU needed: only device.type is read)."""

import pytest
import torch

from infogan_edu.config import PRESETS, TrainConfig, get_preset, pick_device, resolve_fast_path, select_preset


def test_paper_preset_is_the_papers_run_with_the_original_codes_sigma() -> None:
    paper = get_preset("paper")
    assert (paper.width, paper.batch_size, paper.steps) == (1.0, 128, 5000)
    assert (paper.lr_d, paper.lr_g, paper.betas) == (2e-4, 1e-3, (0.5, 0.999))
    assert paper.lambda_cat == paper.lambda_cont == 1.0
    assert paper.fixed_std  # sigma = 1 for continuous codes, as measured on an H200 (README)
    assert paper.noise_prior == "uniform" and paper.q_optimizer == "d"


def test_get_preset_copies_and_validates() -> None:
    cfg = get_preset("cpu", seed=3)
    assert cfg.seed == 3 and PRESETS["cpu"].seed == 0
    with pytest.raises(ValueError, match="unknown preset 'gpu'"):
        get_preset("gpu")
    with pytest.raises(ValueError, match="lr_d"):
        get_preset("cpu", lr_d=0.0)


def test_fast_path_defaults_follow_the_device_and_compile_is_opt_in() -> None:
    cfg = get_preset("paper")
    on_gpu = resolve_fast_path(cfg, torch.device("cuda"))
    assert on_gpu == {"channels_last": True, "bf16": False, "compile": False, "fused_adam": False}  # as measured
    assert not any(resolve_fast_path(cfg, torch.device("cpu")).values())
    chosen = resolve_fast_path(cfg.replace(compile=True, bf16=False), torch.device("cuda"))
    assert chosen["compile"] and not chosen["bf16"]
    assert cfg.compile_mode == "reduce-overhead"
    assert resolve_fast_path(get_preset("cpu"), torch.device("cpu"))["channels_last"]  # the cpu preset's choice


def test_select_preset_by_device_and_environment(monkeypatch) -> None:
    monkeypatch.delenv("INFOGAN_EDU_PRESET", raising=False)
    monkeypatch.setenv("INFOGAN_EDU_DEVICE", "cpu")
    assert select_preset().preset == "cpu"
    monkeypatch.setenv("INFOGAN_EDU_PRESET", "paper")
    assert select_preset(seed=2).preset == "paper" and select_preset(seed=2).seed == 2
    assert pick_device().type == "cpu"


def test_asking_for_cuda_without_one_is_one_clear_error(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.delenv("INFOGAN_EDU_DEVICE", raising=False)
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        pick_device("cuda")


def test_config_round_trips_as_plain_data() -> None:
    cfg = get_preset("paper", categorical=(10, 4))
    again = TrainConfig.from_dict(cfg.to_dict())
    assert again == cfg
    with pytest.raises(ValueError, match="unknown TrainConfig fields"):
        TrainConfig.from_dict({**cfg.to_dict(), "warp": 9})


def test_the_shipped_checkpoints_config_still_loads() -> None:
    from infogan_edu.checkpoint import load_file
    from infogan_edu.pretrained import CHECKPOINT_DIR

    recorded = load_file(CHECKPOINT_DIR / "mnist_cpu.pt")["config"]
    assert recorded["d_batchnorm"] == "separate" and recorded["init"] == "pytorch"  # written before the retirement
    cfg = TrainConfig.from_dict(recorded)
    assert cfg.preset == "cpu" and cfg.steps == 7200 and cfg.width == 0.25 and cfg.q_optimizer == "g"


@pytest.mark.parametrize(
    ("field", "used"), [("d_minibatch", 16), ("lambda_warmup", 1000), ("d_batchnorm", "joint"), ("init", "dcgan")]
)
def test_retired_experiments_load_when_off_and_are_refused_when_used(field: str, used: object) -> None:
    old = {**get_preset("cpu").to_dict(), "d_minibatch": 0, "lambda_warmup": 0, "d_batchnorm": "separate"}
    old |= {"init": "pytorch", "extra": {}}
    assert TrainConfig.from_dict(old) == get_preset("cpu")
    with pytest.raises(ValueError) as e:
        TrainConfig.from_dict({**old, field: used})
    msg = str(e.value)
    assert f"TrainConfig.{field}={used!r}" in msg and "removed from the library" in msg and "d37abd5" in msg
    assert not hasattr(get_preset("cpu"), field)


def test_lambda0_control_trains_g_without_l_i_and_changes_nothing_else() -> None:
    from infogan_edu.config import lambda0_control

    cpu = get_preset("cpu", seed=3)
    control = lambda0_control(cpu)
    assert not control.info_to_generator and cpu.info_to_generator
    assert control.replace(info_to_generator=True) == cpu


def test_invariance_fields_are_checked_and_named() -> None:
    assert TrainConfig().lambda_invariance == 0.0  # off: the paper's objective
    assert get_preset("paper").lambda_invariance == 0.0 and get_preset("cpu").lambda_invariance == 0.0
    assert TrainConfig(invariance_parts="shift, rotate").invariance_parts == ("shift", "rotate")
    assert TrainConfig(invariance_parts=["scale"]).to_dict()["invariance_parts"] == ["scale"]
    for bad in ("shear", (), ("shift", "shift"), ("shift", 3), 5):
        with pytest.raises(ValueError, match="TrainConfig.invariance_parts"):
            TrainConfig(invariance_parts=bad)
    with pytest.raises(ValueError, match="TrainConfig.lambda_invariance"):
        TrainConfig(lambda_invariance=-1.0)
