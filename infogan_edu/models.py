"""The networks of InfoGAN for MNIST (Chen et al. 2016, Appendix C, Table 1), a 64x64 variant for the
shapes data, the 32x32 colour networks of SVHN and CelebA (Tables 2 and 3), and small MLPs for the 2-D toys
of lesson 01.

Table 1 (MNIST), with our shape comments for width = 1:

    G:  z,c (74) -> FC 1024 BN ReLU -> FC 7x7x128 BN ReLU -> 4x4 upconv 64 stride 2 BN ReLU
                 -> 4x4 upconv 1 stride 2 -> tanh
    D:  x (1x28x28) -> 4x4 conv 64 stride 2 lReLU -> 4x4 conv 128 stride 2 BN lReLU
                 -> FC 1024 BN lReLU -> FC 1 (the logit of D)
    Q:  shares every layer of D up to FC 1024, then FC 128 BN lReLU -> FC (categorical logits,
        and a mean and a log-std per continuous code)

Tables 2 (SVHN) and 3 (CelebA) give one network, `network="svhn-celeba"`, with no FC 1024 layers:

    G:  z,c (168 SVHN, 228 CelebA) -> FC 2x2x448 BN ReLU -> 4x4 upconv 256 stride 2 BN ReLU
                 -> 4x4 upconv 128 stride 2 ReLU -> 4x4 upconv 64 stride 2 ReLU -> 4x4 upconv 3 stride 2 -> tanh
    D:  x (3x32x32) -> 4x4 conv 64 stride 2 lReLU -> 4x4 conv 128 stride 2 BN lReLU
                 -> 4x4 conv 256 stride 2 BN lReLU -> FC 1 (the logit of D)
    Q:  shares D's three convolutions, then FC 128 BN lReLU -> FC (the same head as for MNIST)

(the tables put batchnorm only where written: not after G's 128 and 64 upconvs). `network="mnist"` is Table
1's network, the default, also at 64x64 and at 32x32 (8 -> 16 -> 32). At 32x32 gray it is the network of the
paper's 3D faces (Appendix C.4, Table 4: G FC 1024 - FC 8x8x128 - upconv 64 - upconv 1; D conv 64 - conv 128 -
FC 1024), which ends in a sigmoid there and in tanh here, and whose Q is one output layer on D's FC 1024, without
the FC 128 head used here (Table 4 as transcribed by a re-implementation, kehuantiantang/InfoGAN-PyTorch,
models/faces_model.py; the appendix's text: "D and Q share the same network, and only have separate output units
at the last layer").

`width` multiplies every hidden size (not the input or output), so `width=0.25` is a CPU-sized model
of the same shape. Images are in [-1, 1]; the generator ends in tanh. The leaky ReLU slope is 0.1,
as in the original code. BatchNorm uses PyTorch's defaults (eps=1e-5, momentum=0.1).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

from .latent import Latent, LatentSpec, QOutput

__all__ = [
    "count_parameters",
    "ConvDiscriminator",
    "ConvGenerator",
    "Discriminator",
    "evaluating",
    "generate",
    "Generator",
    "InfoGAN",
    "LEAK",
    "LEGACY_ARCHITECTURE",
    "MLPDiscriminator",
    "MLPGenerator",
    "module_device",
    "NETWORKS",
    "QHead",
]

LEAK = 0.1
NETWORKS = ("mnist", "svhn-celeba")  # Table 1's network (also at 32x32 and 64x64); Tables 2 and 3's, 32x32
# What a checkpoint written before `network` existed holds without saying so: Table 1's network.
LEGACY_ARCHITECTURE = {"network": "mnist"}


@contextmanager
def evaluating(model: nn.Module) -> Iterator[nn.Module]:
    """Run a block with `model` in eval mode (BatchNorm's running statistics), then restore the train/eval mode
    it had before, also when the block raises.

    >>> with evaluating(model), torch.no_grad():
    ...     images = model.g(g_input)
    """
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def _w(n: int, width: float) -> int:
    return max(1, int(round(n * width)))


def _n_upsamples(image_size: int) -> int:
    if image_size in (28, 32):
        return 2  # 7 -> 14 -> 28 (MNIST); 8 -> 16 -> 32 (the 3D faces, Table 4)
    if image_size == 64:
        return 3  # 8 -> 16 -> 32 -> 64
    raise ValueError(
        f"image_size must be 28 (MNIST), 32 (3D faces) or 64 (shapes) for Table 1's network, got {image_size}"
    )


class Generator(nn.Module):
    """G(z, c): the latent vector to an image in [-1, 1], shape (B, channels, S, S)."""

    def __init__(self, spec: LatentSpec, width: float = 1.0, image_size: int = 28, channels: int = 1):
        super().__init__()
        self.spec, self.width, self.image_size, self.channels = spec, width, image_size, channels
        n_up = _n_upsamples(image_size)
        self.start = image_size // 2**n_up  # 7 for MNIST, 8 for 32x32 and 64x64
        self.c0 = _w(128, width) * 2 ** (n_up - 2)  # 128 channels at 7x7 for MNIST
        self.fc = nn.Sequential(
            nn.Linear(spec.input_dim, _w(1024, width)),
            nn.BatchNorm1d(_w(1024, width)),
            nn.ReLU(),
            nn.Linear(_w(1024, width), self.c0 * self.start**2),
            nn.BatchNorm1d(self.c0 * self.start**2),
            nn.ReLU(),
        )
        layers: list[nn.Module] = []
        c = self.c0
        for i in range(n_up):
            last = i == n_up - 1
            out = channels if last else c // 2
            layers.append(nn.ConvTranspose2d(c, out, 4, stride=2, padding=1))
            if not last:
                layers += [nn.BatchNorm2d(out), nn.ReLU()]
            c = out
        self.deconv = nn.Sequential(*layers)

    def forward(self, g_input: torch.Tensor) -> torch.Tensor:
        h = self.fc(g_input)  # (B, 128 * 7 * 7)
        h = h.view(-1, self.c0, self.start, self.start)  # (B, 128, 7, 7)
        return torch.tanh(self.deconv(h))  # (B, 1, 28, 28)


class Discriminator(nn.Module):
    """D's shared trunk plus its real/fake head. `features(x)` is what Q also reads."""

    def __init__(self, width: float = 1.0, image_size: int = 28, channels: int = 1):
        super().__init__()
        n_down = _n_upsamples(image_size)
        c = _w(64, width)
        layers: list[nn.Module] = [nn.Conv2d(channels, c, 4, stride=2, padding=1), nn.LeakyReLU(LEAK)]
        for _ in range(n_down - 1):
            layers += [nn.Conv2d(c, 2 * c, 4, stride=2, padding=1), nn.BatchNorm2d(2 * c), nn.LeakyReLU(LEAK)]
            c *= 2
        self.conv = nn.Sequential(*layers)
        side = image_size // 2**n_down
        self.fc = nn.Sequential(
            nn.Linear(c * side * side, _w(1024, width)), nn.BatchNorm1d(_w(1024, width)), nn.LeakyReLU(LEAK)
        )
        self.feature_dim = _w(1024, width)
        self.head = nn.Linear(self.feature_dim, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(x)  # (B, 128, 7, 7) for MNIST
        return self.fc(h.flatten(1))  # (B, 1024)

    def logit(self, features: torch.Tensor) -> torch.Tensor:
        """D's output layer on the trunk's features: the logit of D(x), shape (B,)."""
        return self.head(features).squeeze(1)  # (B,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The logit of D(x) = P(x is real), shape (B,)."""
        return self.logit(self.features(x))  # (B,)


class QHead(nn.Module):
    """Q's own layers on top of D's trunk: FC 128 BN lReLU, then FC to the code parameters."""

    def __init__(self, spec: LatentSpec, feature_dim: int, width: float = 1.0):
        super().__init__()
        self.spec = spec
        self.net = nn.Sequential(
            nn.Linear(feature_dim, _w(128, width)),
            nn.BatchNorm1d(_w(128, width)),
            nn.LeakyReLU(LEAK),
            nn.Linear(_w(128, width), spec.q_output_dim),
        )

    def forward(self, features: torch.Tensor) -> QOutput:
        out = self.net(features)  # (B, sum K_i + 2 * n_cont)
        logits = list(torch.split(out[:, : self.spec.cat_dim], list(self.spec.categorical), dim=1))
        cont = out[:, self.spec.cat_dim :]  # (B, 2 * n_cont)
        mean, log_std = cont[:, : self.spec.continuous], cont[:, self.spec.continuous :]
        return QOutput(logits, mean, log_std)


class ConvGenerator(nn.Module):
    """G(z, c) of Tables 2 and 3 (SVHN, CelebA): the latent vector to a 32x32 image in [-1, 1], (B, channels, 32, 32).
    Unlike Table 1's G it has no FC 1024 layer: one FC layer makes a 2x2 map of 448 channels, and four stride-2
    upconvolutions double its side each time, 2 -> 4 -> 8 -> 16 -> 32."""

    def __init__(self, spec: LatentSpec, width: float = 1.0, image_size: int = 32, channels: int = 3):
        super().__init__()
        _check_32(image_size)
        self.spec, self.width, self.image_size, self.channels = spec, width, image_size, channels
        self.c0, self.start = _w(448, width), 2
        self.fc = nn.Sequential(nn.Linear(spec.input_dim, self.c0 * 2 * 2), nn.BatchNorm1d(self.c0 * 2 * 2), nn.ReLU())
        c256, c128, c64 = _w(256, width), _w(128, width), _w(64, width)
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(self.c0, c256, 4, stride=2, padding=1),  # 2x2 -> 4x4
            nn.BatchNorm2d(c256),
            nn.ReLU(),
            nn.ConvTranspose2d(c256, c128, 4, stride=2, padding=1),  # 4x4 -> 8x8 (no batchnorm in the tables)
            nn.ReLU(),
            nn.ConvTranspose2d(c128, c64, 4, stride=2, padding=1),  # 8x8 -> 16x16
            nn.ReLU(),
            nn.ConvTranspose2d(c64, channels, 4, stride=2, padding=1),  # 16x16 -> 32x32
        )

    def forward(self, g_input: torch.Tensor) -> torch.Tensor:
        h = self.fc(g_input)  # (B, 448 * 2 * 2)
        h = h.view(-1, self.c0, self.start, self.start)  # (B, 448, 2, 2)
        return torch.tanh(self.deconv(h))  # (B, 3, 32, 32)


class ConvDiscriminator(nn.Module):
    """D of Tables 2 and 3: three stride-2 convolutions (the trunk Q shares), then one FC layer to the logit.
    The same interface as `Discriminator`: `features(x)` is what Q reads."""

    def __init__(self, width: float = 1.0, image_size: int = 32, channels: int = 3):
        super().__init__()
        _check_32(image_size)
        c64, c128, c256 = _w(64, width), _w(128, width), _w(256, width)
        self.conv = nn.Sequential(
            nn.Conv2d(channels, c64, 4, stride=2, padding=1),  # 32x32 -> 16x16
            nn.LeakyReLU(LEAK),
            nn.Conv2d(c64, c128, 4, stride=2, padding=1),  # 16x16 -> 8x8
            nn.BatchNorm2d(c128),
            nn.LeakyReLU(LEAK),
            nn.Conv2d(c128, c256, 4, stride=2, padding=1),  # 8x8 -> 4x4
            nn.BatchNorm2d(c256),
            nn.LeakyReLU(LEAK),
        )
        self.feature_dim = c256 * 4 * 4
        self.head = nn.Linear(self.feature_dim, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x).flatten(1)  # (B, 256, 4, 4) -> (B, 4096)

    def logit(self, features: torch.Tensor) -> torch.Tensor:
        """D's output layer on the trunk's features: the logit of D(x), shape (B,)."""
        return self.head(features).squeeze(1)  # (B,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The logit of D(x) = P(x is real), shape (B,)."""
        return self.logit(self.features(x))  # (B,)


def _check_32(image_size: int) -> None:
    if image_size != 32:
        raise ValueError(f"image_size must be 32 for network='svhn-celeba' (Tables 2 and 3), got {image_size}")


class InfoGAN(nn.Module):
    """G, D and Q together. Q = `q_head` applied to `d.features`, so Q shares D's trunk. `network` chooses Table
    1's G and D ("mnist") or those of Tables 2 and 3 ("svhn-celeba"); Q's head is the same for both."""

    def __init__(
        self, spec: LatentSpec, width: float = 1.0, image_size: int = 28, channels: int = 1, network: str = "mnist"
    ):
        super().__init__()
        if network not in NETWORKS:
            raise ValueError(f"network must be one of {NETWORKS}, got {network!r}")
        self.spec, self.width, self.image_size, self.channels = spec, width, image_size, channels
        self.network = network
        if network == "mnist":
            self.g = Generator(spec, width, image_size, channels)
            self.d = Discriminator(width, image_size, channels)
        else:
            self.g = ConvGenerator(spec, width, image_size, channels)
            self.d = ConvDiscriminator(width, image_size, channels)
        self.q_head = QHead(spec, self.d.feature_dim, width)

    @classmethod
    def from_architecture(cls, arch: dict) -> InfoGAN:
        """The (untrained) model an `architecture()` dict describes, also one written before `network` existed."""
        arch = {**LEGACY_ARCHITECTURE, **arch}
        spec = LatentSpec.from_dict(arch["spec"])
        return cls(spec, arch["width"], arch["image_size"], arch["channels"], arch["network"])

    def q(self, x: torch.Tensor) -> QOutput:
        """Q(c | x) for images x."""
        return self.q_head(self.d.features(x))

    def architecture(self) -> dict:
        """Plain data that identifies the architecture; checkpoints are refused when it differs."""
        return {
            "spec": self.spec.to_dict(),
            "width": self.width,
            "image_size": self.image_size,
            "channels": self.channels,
            "network": self.network,
        }


class MLPGenerator(nn.Module):
    """A small MLP G for 2-D toy data: noise (B, in_dim) to points (B, 2)."""

    def __init__(self, in_dim: int = 2, hidden: int = 128, depth: int = 3, out_dim: int = 2):
        super().__init__()
        layers: list[nn.Module] = []
        d = in_dim
        for _ in range(depth):
            layers += [nn.Linear(d, hidden), nn.ReLU()]
            d = hidden
        layers.append(nn.Linear(d, out_dim))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """A small MLP D for 2-D toy data: points (B, 2) to the logit of D, (B,)."""

    def __init__(self, in_dim: int = 2, hidden: int = 128, depth: int = 3):
        super().__init__()
        layers: list[nn.Module] = []
        d = in_dim
        for _ in range(depth):
            layers += [nn.Linear(d, hidden), nn.LeakyReLU(0.2)]
            d = hidden
        layers.append(nn.Linear(d, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)


def count_parameters(module: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


# ----------------------------------------------------------------------------- G's images
def module_device(module: object) -> torch.device:
    """The device of a module's first parameter (the CPU for a module without parameters)."""
    if isinstance(module, torch.nn.Module):
        for p in module.parameters():
            return p.device
    return torch.device("cpu")


@torch.no_grad()
def generate(generator: torch.nn.Module, spec: LatentSpec, latent: Latent) -> torch.Tensor:
    """G(z, c) for a batch of latents: images in [-1, 1], (B, C, H, W), on the CPU.

    The generator runs in eval mode (BatchNorm uses its running statistics, so each image depends on
    its own latent only) and without gradients; its train/eval mode is restored afterwards. An
    `InfoGAN` may be passed instead of its generator: its `.g` is used.
    """
    generator = getattr(generator, "g", generator)
    device = module_device(generator)
    g_input = spec.to_input(Latent(*(t.to(device) for t in latent)))  # (B, input_dim)
    mode = evaluating(generator) if isinstance(generator, torch.nn.Module) else contextlib.nullcontext()
    with mode:
        images = generator(g_input)  # (B, C, H, W)
    return images.float().cpu()
