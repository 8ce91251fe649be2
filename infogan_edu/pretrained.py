"""Models from checkpoints, and the pretrained checkpoint shipped with the package.

The shipped file `infogan_edu/checkpoints/<name>.pt` is an fp16 export made by
`python -m infogan_edu export`; the JSON beside it records its SHA-256 and how it was made (command,
seed, steps, device, measured test accuracy). `load_pretrained` checks the hash before reading.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from .checkpoint import CheckpointError, load_file, verify_sha256
from .models import InfoGAN

__all__ = ["available_pretrained", "CHECKPOINT_DIR", "load_pretrained", "model_from_checkpoint", "pretrained_info"]

CHECKPOINT_DIR = Path(__file__).parent / "checkpoints"


def model_from_checkpoint(ckpt: dict, path: str | Path = "checkpoint") -> InfoGAN:
    """Build the InfoGAN the checkpoint describes and load its weights (fp16 exports become fp32)."""
    try:
        model = InfoGAN.from_architecture(ckpt["architecture"])  # grayscale or colour, either network
        state = {k: (v.float() if torch.is_floating_point(v) else v) for k, v in ckpt["model"].items()}
        model.load_state_dict(state)
    except (KeyError, RuntimeError, ValueError) as e:
        raise CheckpointError(f"{path}: cannot rebuild the model it describes ({str(e).splitlines()[0]})") from None
    return model.eval()


def available_pretrained() -> list[str]:
    """Names of the InfoGAN checkpoints shipped with this installation (not the Shapes reader, whose sidecar says
    it is another kind of network: `infogan_edu.shapes_reader.load_reader` loads it)."""

    def kind(path: Path) -> str:
        meta = Path(str(path) + ".json")
        return json.loads(meta.read_text()).get("kind", "infogan") if meta.is_file() else "infogan"

    return sorted(p.stem for p in CHECKPOINT_DIR.glob("*.pt") if kind(p) == "infogan")


def pretrained_info(name: str = "mnist_cpu") -> dict:
    """The provenance JSON of a shipped checkpoint (command, seed, steps, accuracy, sha256...)."""
    meta = CHECKPOINT_DIR / f"{name}.pt.json"
    if not meta.is_file():
        raise CheckpointError(
            f"no shipped checkpoint named {name!r}; available: {available_pretrained() or 'none'}"
        )
    return json.loads(meta.read_text())


def load_pretrained(name: str = "mnist_cpu", device: str | torch.device = "cpu") -> tuple[InfoGAN, dict]:
    """The shipped model (in eval mode) and its provenance, after verifying the file's SHA-256."""
    info = pretrained_info(name)
    path = CHECKPOINT_DIR / f"{name}.pt"
    verify_sha256(path, info["sha256"])
    model = model_from_checkpoint(load_file(path), path).to(device)
    return model, info
