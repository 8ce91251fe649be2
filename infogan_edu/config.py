"""Training configuration: the paper's defaults, the named presets, and the one CPU/GPU switch.

The preset is chosen by the device present (`paper` on a CUDA GPU, `cpu` otherwise) and can be
forced with the environment variable INFOGAN_EDU_PRESET=paper|cpu. Every lesson and the CLI go
through `select_preset`, so that "which configuration ran" has one answer.

Which optimiser trains Q's head? In the original InfoGAN code Q's layers live in the
discriminator's variable scope, so they are updated by D's Adam (lr 2e-4), while the L_I term also
enters G's loss (lr 1e-3). `q_optimizer="d"` reproduces that and is the `paper` preset's choice.
`q_optimizer="g"` puts the head in G's optimiser instead (Q and G both minimise -L_I in the
objective min_{G,Q} max_D V - lambda L_I, so either grouping is faithful to the maths).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
import re
from dataclasses import dataclass
from typing import Literal

import torch

from .data.augment import PARTS as AUGMENT_PARTS
from .latent import LatentSpec

__all__ = [
    "CELEBA",
    "CHAIRS3D",
    "CPU",
    "DEVICE_ENV",
    "DeviceError",
    "get_preset",
    "HEADS3D",
    "lambda0_control",
    "machine_summary",
    "PAPER",
    "pick_device",
    "PRESET_ENV",
    "PRESETS",
    "resolve_fast_path",
    "RETIRED_AT",
    "RETIRED_FIELDS",
    "select_preset",
    "SVHN",
    "TrainConfig",
]

PRESET_ENV = "INFOGAN_EDU_PRESET"
DEVICE_ENV = "INFOGAN_EDU_DEVICE"

# Fields of the CPU tuning experiments that were measured, rejected and removed, with the value that meant "off".
# A checkpoint that recorded one of them at that value loads; one that used the experiment is refused, since
# only the library at RETIRED_AT can rerun it (benchmarks/results/cpu-tuning-retired.md).
RETIRED_AT = "d37abd5"
RETIRED_FIELDS: dict[str, object] = {
    "init": "pytorch",  # DCGAN initialisation
    "d_batchnorm": "separate",  # joint real+fake BatchNorm statistics in D
    "d_minibatch": 0,  # minibatch discrimination in D
    "lambda_warmup": 0,  # a linear warm-up of lambda
}


@dataclass
class TrainConfig:
    """Everything a run depends on. Defaults are the paper's (Appendix C) and the original code's."""

    preset: str = "custom"
    dataset: str = "mnist"  # or "fashion-mnist", "svhn", "celeba", "heads3d", "chairs3d", or "folder:PATH" (`data`)
    # ---- latent codes and model (Table 1) ----
    noise: int = 62
    categorical: tuple[int, ...] = (10,)
    continuous: int = 2
    noise_prior: Literal["uniform", "normal"] = "uniform"
    noise_scale: float = 1.0
    width: float = 1.0  # multiplies every hidden size; 0.25 is the CPU-sized model
    network: Literal["mnist", "svhn-celeba"] = "mnist"  # Table 1's G and D, or those of Tables 2-3 (`models`)
    # ---- optimisation ----
    steps: int = 5000  # the original code's MNIST run: 50 epochs x 100 updates at batch 128
    batch_size: int = 128
    lr_d: float = 2e-4
    lr_g: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.999)
    # ---- the objective V(D, G) - lambda L_I(G, Q) ----
    lambda_cat: float = 1.0
    lambda_cont: float = 1.0
    fixed_std: bool = False  # True: sigma = 1 for continuous codes, as in the original code
    g_loss: Literal["nonsaturating", "minimax"] = "nonsaturating"
    info_trains_trunk: bool = True  # the L_I gradient reaches D's shared trunk (the paper's Q)
    q_optimizer: Literal["d", "g"] = "d"  # which Adam updates Q's head (see the module docstring)
    info_to_generator: bool = True  # False: the lambda = 0 control (see `lambda0_control`)
    # ---- an inductive bias beyond the paper: Q's category of a real image survives T (see `losses`) ----
    lambda_invariance: float = 0.0  # weight of -I(c; c') between Q's categories of x and T(x); 0 (off): the paper
    invariance_parts: tuple[str, ...] = ("shift", "rotate", "scale")  # what T does (`data.augment.PARTS`)
    # ---- run ----
    seed: int = 0
    device: str = "auto"  # "auto": cuda if available, else cpu; INFOGAN_EDU_DEVICE overrides
    log_every: int = 50  # history and progress bar are fetched from the device this often
    eval_every: int = 500  # test accuracy every N steps (needs test data)
    ckpt_every: int = 1000
    # ---- the fast path (None: the measured default for the device, see resolve_fast_path) ----
    channels_last: bool | None = None
    bf16: bool | None = None
    compile: bool | None = None
    compile_mode: str = "reduce-overhead"  # CUDA graphs: the fastest mode measured on an H200 (see resolve_fast_path)
    fused_adam: bool | None = None

    def __post_init__(self) -> None:
        """Check every field; a wrong type or range is one ValueError that names the field."""
        for name in ("steps", "batch_size", "log_every", "eval_every", "ckpt_every", "seed"):
            v = getattr(self, name)
            low, high = (0, 2**63 - 2) if name == "seed" else (1, 2**63 - 1)  # seed + 1 seeds the latent stream
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not low <= v <= high:
                kind = "an int >= 0 (below 2**63 - 1)" if name == "seed" else "a positive int"
                raise ValueError(f"TrainConfig.{name} must be {kind}, got {v!r}")
            setattr(self, name, int(v))
        for name, low in (
            ("lr_d", 0),
            ("lr_g", 0),
            ("width", 0),
            ("lambda_cat", None),
            ("lambda_cont", None),
            ("lambda_invariance", None),
        ):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v) or v < 0 or v == low:
                rule = "> 0" if low == 0 else ">= 0"
                raise ValueError(f"TrainConfig.{name} must be a finite number {rule}, got {v!r}")
            setattr(self, name, float(v))
        betas = self.betas
        if not isinstance(betas, (tuple, list)) or len(betas) != 2 or not all(
            isinstance(b, numbers.Real) and not isinstance(b, bool) and 0 <= b < 1 for b in betas
        ):
            raise ValueError(f"TrainConfig.betas must be two numbers in [0, 1) (Adam's beta1, beta2), got {betas!r}")
        self.betas = (float(betas[0]), float(betas[1]))
        for name in ("fixed_std", "info_trains_trunk", "info_to_generator"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"TrainConfig.{name} must be True or False, got {getattr(self, name)!r}")
        for name in ("channels_last", "bf16", "compile", "fused_adam"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), bool):
                raise ValueError(f"TrainConfig.{name} must be True, False or None (auto), got {getattr(self, name)!r}")
        for name, choices in (
            ("g_loss", ("nonsaturating", "minimax")),
            ("q_optimizer", ("d", "g")),
            ("network", ("mnist", "svhn-celeba")),
        ):
            if not isinstance(getattr(self, name), str) or getattr(self, name) not in choices:
                raise ValueError(f"TrainConfig.{name} must be one of {choices}, got {getattr(self, name)!r}")
        for name in ("preset", "dataset", "device", "compile_mode"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(f"TrainConfig.{name} must be a string, got {getattr(self, name)!r}")
        if self.dataset.startswith("folder:") and not self.dataset[len("folder:") :].strip():
            raise ValueError(f"TrainConfig.dataset {self.dataset!r} names no folder: write folder:PATH")
        if self.device != "auto" and not re.fullmatch(r"cpu|cuda(:\d+)?", self.device):
            # torch parses other device types too (mps, xpu, meta...), but this library trains on CPU or CUDA only
            raise ValueError(f"TrainConfig.device must be 'auto', 'cpu' or 'cuda[:N]', got {self.device!r}")
        if isinstance(self.categorical, list):
            self.categorical = tuple(self.categorical)
        parts = self.invariance_parts
        if isinstance(parts, str):
            parts = tuple(p.strip() for p in parts.split(","))
        if (
            not isinstance(parts, (tuple, list))
            or not parts
            or not all(isinstance(p, str) and p in AUGMENT_PARTS for p in parts)
            or len(set(parts)) != len(parts)
        ):
            raise ValueError(
                f"TrainConfig.invariance_parts must be one or more of {AUGMENT_PARTS}, each once, got {parts!r}"
            )
        self.invariance_parts = tuple(parts)
        spec = self.latent_spec()  # validates the latent fields (the message names LatentSpec's field)
        self.noise, self.categorical, self.continuous = spec.noise, spec.categorical, spec.continuous
        self.noise_scale = spec.noise_scale

    def latent_spec(self) -> LatentSpec:
        return LatentSpec(self.noise, self.categorical, self.continuous, self.noise_prior, self.noise_scale)

    def to_dict(self) -> dict:
        """Plain data (lists, not tuples), safe for `torch.load(weights_only=True)`."""
        d = dataclasses.asdict(self)
        d["categorical"], d["betas"] = list(self.categorical), list(self.betas)
        d["invariance_parts"] = list(self.invariance_parts)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        """The config a checkpoint recorded. Fields of retired experiments are dropped when they hold their
        default value (the run did not use the experiment) and refused otherwise."""
        d = dict(d)
        d.pop("extra", None)  # free-form notes, never read by training
        for name, default in RETIRED_FIELDS.items():
            value = d.pop(name, default)
            if value != default:
                raise ValueError(
                    f"this run used TrainConfig.{name}={value!r}, an experiment since removed from the library; "
                    f"rerun it with infogan-edu at commit {RETIRED_AT} (`git checkout {RETIRED_AT}`)"
                )
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown TrainConfig fields {unknown}; was this written by a newer infogan-edu?")
        return cls(**d)

    def replace(self, **changes: object) -> TrainConfig:
        known = [f.name for f in dataclasses.fields(self)]
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise ValueError(f"unknown TrainConfig field(s) {unknown}; the fields are: {', '.join(known)}")
        return dataclasses.replace(self, **changes)


# The paper's run (GPU): Table 1 networks at full width, batch 128, 5,000 steps, lambda = 1, and Q's continuous
# codes with sigma = 1, as in the original code's MNIST run. On an H200, a learned sigma at lambda_cont = 1 let the
# categorical code stop following the digits (L_I near ln 10 all the same) and sigma = 1 did not: see
# benchmarks/results/h200-paper-preset.md.
PAPER = TrainConfig(preset="paper", fixed_std=True)

# The CPU run used by lessons and CI: the same networks at a quarter of the width. Tuned on 2 CPU cores
# (benchmarks/results/cpu-tuning-rounds.md lists every variant tried and its accuracy): batch 128 with channels-last
# convolutions (the most images per second on 2 cores), D's learning rate doubled to 4e-4 (a faster D purifies G's
# categories sooner), N(0, I) noise, Q's head in G's optimiser, lambda_cont = 0.1.
CPU = TrainConfig(
    preset="cpu",
    width=0.25,
    batch_size=128,
    steps=3600,
    lr_d=4e-4,
    noise_prior="normal",
    lambda_cont=0.1,
    q_optimizer="g",
    channels_last=True,
    eval_every=500,
)

# The paper's SVHN and CelebA runs (Appendix C.2, C.3), 32x32 colour, with the networks of Tables 2 and 3. The
# appendix's common settings hold: Adam, lr 2e-4 for D and 1e-3 for G, lambda = 1, leaky ReLU slope 0.1.
#   SVHN: four 10-way categorical codes, four continuous codes and 124 noise variables (G's input: 168);
#   CelebA: ten 10-way categorical codes and 128 noise variables (G's input: 228), no continuous code.
# The paper gives no batch size or step count for them: batch 128 and sigma = 1 for the continuous codes are the
# original code's (as in `paper`), and 5,000 steps (50 epochs of 100 updates, the original code's schedule) keeps
# the three paper presets equally long (benchmarks/gpu/colour_figures.sh takes STEPS=... to change it).
SVHN = PAPER.replace(
    preset="svhn", dataset="svhn", network="svhn-celeba", noise=124, categorical=(10,) * 4, continuous=4
)
CELEBA = PAPER.replace(
    preset="celeba", dataset="celeba", network="svhn-celeba", noise=128, categorical=(10,) * 10, continuous=0
)

# The paper's 3D faces and 3D chairs (Sec. 7.2, Figs. 3-4), on the rendered stand-ins of `data.render3d` (32x32
# gray, known factors). Appendix C.4 (faces): 5 continuous codes and 128 noise variables (G's input: 133), with
# the 32x32 network of Table 4, which is Table 1's at 32x32 (`models`), and one configuration per learned factor
# (Table 5; a re-implementation reads the azimuth row as lr 2e-4 for D, 5e-4 for G, lambda 0.2). C.5 (chairs): 1
# continuous code, 3 categorical codes of 20 values and 128 noise variables (G's input: 189), a 64x64 network
# (Table 6) and again one configuration per factor, with different lambdas for the two kinds of code (Table 7).
# Here: those codes; Table 1's network at 32x32 for both (the rendered chairs are 32x32, so not Table 6's); and one
# configuration for every factor, the `cpu` preset's tested CPU recipe (quarter width, batch 128, lr_d 4e-4,
# N(0, I) noise, Q's head in G's optimiser, learned sigma with lambda_cont = 0.1 and lambda_cat = 1) for 3,600
# steps. The paper gives no batch size or step count for either. benchmarks/render3d_study.py trains and scores them.
HEADS3D = CPU.replace(preset="heads3d", dataset="heads3d", noise=128, categorical=(), continuous=5)
CHAIRS3D = CPU.replace(preset="chairs3d", dataset="chairs3d", noise=128, categorical=(20,) * 3, continuous=1)

PRESETS: dict[str, TrainConfig] = {
    "paper": PAPER,
    "cpu": CPU,
    "svhn": SVHN,
    "celeba": CELEBA,
    "heads3d": HEADS3D,
    "chairs3d": CHAIRS3D,
}


class DeviceError(ValueError, RuntimeError):
    """The requested device does not exist here or is not a device name (a ValueError the CLI reports in one line;
    also a RuntimeError, what it was before)."""


def pick_device(requested: str = "auto") -> torch.device:
    """cuda if present, else cpu. INFOGAN_EDU_DEVICE (or `requested`) forces one."""
    requested = os.environ.get(DEVICE_ENV, requested)
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(requested)
    except (RuntimeError, TypeError, ValueError):
        source = f"${DEVICE_ENV}" if os.environ.get(DEVICE_ENV) else "the device"
        raise DeviceError(f"{source} is {requested!r}, not a device name; use 'auto', 'cpu' or 'cuda[:N]'") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise DeviceError(
            f"device {requested!r} was requested but this PyTorch sees no CUDA GPU "
            f"(torch {torch.__version__}); use device='auto' or 'cpu'"
        )
    return dev


def _cpu_model() -> str:
    """The CPU's model name where the system tells it (Linux's /proc/cpuinfo), else its architecture."""
    import platform

    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name") and ":" in line:
                    return f"{line.split(':', 1)[1].strip()} ({platform.machine()})"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()} CPU"


def machine_summary() -> str:
    """The device a run used, in words, for result tables: the GPU's name, or the CPU model and its threads (two
    CPUs can round the same float sums differently, so a CPU run's numbers belong to its CPU)."""
    if torch.cuda.is_available():
        return torch.cuda.get_device_name()
    threads = torch.get_num_threads()
    return f"{_cpu_model()}, {threads} thread{'s' if threads != 1 else ''}"


def lambda0_control(config: TrainConfig) -> TrainConfig:
    """The lambda = 0 control of `config` (the paper's Figure 1, "GAN"): G is trained with lambda = 0, on V(D, G)
    alone, while Q still learns to read c from G's images, so that L_I measures how much of c a plain GAN keeps.

    >>> control = lambda0_control(get_preset("cpu", seed=0))
    """
    return config.replace(info_to_generator=False)


def get_preset(name: str, **overrides: object) -> TrainConfig:
    """A copy of a named preset with `overrides` applied, e.g. ``get_preset("cpu", seed=3)``."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    return PRESETS[name].replace(**overrides)


def select_preset(**overrides: object) -> TrainConfig:
    """The one CPU/GPU switch: `paper` on a CUDA device, `cpu` otherwise; INFOGAN_EDU_PRESET wins."""
    name = os.environ.get(PRESET_ENV) or ("paper" if pick_device().type == "cuda" else "cpu")
    return get_preset(name, **overrides)


def resolve_fast_path(config: TrainConfig, device: torch.device) -> dict[str, bool]:
    """The fast-path switches with `None` resolved, as an H200 measured them (benchmarks/results/gpu-speed.md):

    - `channels_last`: on for CUDA (the fastest eager stage), off for CPU (the `cpu` preset turns it on itself);
    - `bf16` and `fused_adam`: off everywhere. Each measured slower than the stage before it (11.92 and 13.89
      ms/step against 8.65), within the run-to-run noise of eager steps (the same stage gave 8.65 and 12.74 ms in
      two runs): no gain was measured, and fp32 with the plain Adam is the simpler and exact path;
    - `compile`: off everywhere, although CUDA graphs (`compile_mode="reduce-overhead"`, the mode used when compile
      is on) halved the step (6.26 against 12.74 ms in one run): the accuracy of compiled runs has not been measured
      yet, compiling takes about 13 s per run, and it needs a working Triton. Turn it on with `compile=True`.
    """
    on_cuda = device.type == "cuda"
    auto = {"channels_last": on_cuda, "bf16": False, "compile": False, "fused_adam": False}
    return {name: (on if getattr(config, name) is None else bool(getattr(config, name))) for name, on in auto.items()}
