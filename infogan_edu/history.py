"""What happened during training: the per-window metrics and test scores of one run, as plain lists a notebook
can plot and a checkpoint can store."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["METRICS", "History"]

METRICS = ("loss_d", "loss_g", "li_cat", "li_cont", "d_real", "d_fake")


@dataclass
class History:
    """What happened during training, as plain lists a notebook can plot.

    `step[i]` is the last step of the i-th logging window and the metrics are means over the window.
    L_I values are in nats (li_cat can be drawn against H(c) = ln 10). `eval_*` hold test scores.
    """

    step: list[int] = field(default_factory=list)
    loss_d: list[float] = field(default_factory=list)
    loss_g: list[float] = field(default_factory=list)
    li_cat: list[float] = field(default_factory=list)
    li_cont: list[float] = field(default_factory=list)
    d_real: list[float] = field(default_factory=list)
    d_fake: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)  # seconds of training so far
    eval_step: list[int] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    nmi: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, list]:
        return {k: list(v) for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, d: dict) -> History:
        return cls(**{k: list(v) for k, v in d.items()})

    def li_at(self, step: int) -> float:
        """li_cat of the logging window that contains `step` (nan if not reached)."""
        for s, v in zip(self.step, self.li_cat, strict=True):
            if s >= step:
                return v
        return math.nan
