"""AViT, the axial vision transformer of Multiple Physics Pretraining, in plain torch.

history (B, T, C, H, W) -> RevIN -> shared field embedding -> hMLP stem (16 = 4·2·2) ->
space-time blocks -> hMLP decoder with an output head sliced to the fields present -> the next
frame (B, C, H, W), de-normalised with the history's statistics.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from polymath.foundation.models import SavableModel
from polymath.mpp.fields import REFERENCE_N_STATES
from polymath.mpp.layers import RMSInstanceNorm2d, SpaceTimeBlock

PATCH = 16
PRESETS: dict[str, dict[str, int]] = {
    "Ti": {"embed_dim": 192, "num_heads": 3, "depth": 12},
    "S": {"embed_dim": 384, "num_heads": 6, "depth": 12},
    "B": {"embed_dim": 768, "num_heads": 12, "depth": 12},
    "L": {"embed_dim": 1024, "num_heads": 16, "depth": 24},
}
Size = Literal["Ti", "S", "B", "L"]


def revin_statistics(history: Tensor, eps: float = 1e-7) -> tuple[Tensor, Tensor]:
    """Mean and std + eps per sample and field over (T, H, W) of a (B, T, C, H, W) history."""
    std, mean = torch.std_mean(history, dim=(1, 3, 4), keepdim=True)
    return mean, std + eps


class FieldEmbedding(nn.Module):
    """One learned D/4 vector per field slot; only the slots present are used.

    Scaled by sqrt(n_states / n_present) so the input magnitude does not depend on how many fields
    a system has. Equivalent to a 1x1 convolution over the present fields.
    """

    def __init__(self, n_states: int, dim: int) -> None:
        super().__init__()
        linear = nn.Linear(n_states, dim)
        self.weight = nn.Parameter(linear.weight.detach().clone())
        self.bias = nn.Parameter(linear.bias.detach().clone())

    @property
    def n_states(self) -> int:
        return self.weight.shape[1]

    def forward(self, x: Tensor, fields: Tensor) -> Tensor:
        """x: (N, C, H, W) with C = len(fields) -> (N, D/4, H, W)."""
        scale = math.sqrt(self.n_states / len(fields))
        return F.conv2d(x, self.weight[:, fields, None, None], self.bias) * scale


class OutputHead(nn.Module):
    """The last 4x4/s4 transposed convolution, sliced to the fields present."""

    def __init__(self, dim: int, n_states: int) -> None:
        super().__init__()
        head = nn.ConvTranspose2d(dim, n_states, kernel_size=4, stride=4)
        self.weight = nn.Parameter(head.weight.detach().clone())
        self.bias = nn.Parameter(head.bias.detach().clone())

    def forward(self, x: Tensor, fields: Tensor) -> Tensor:
        return F.conv_transpose2d(x, self.weight[:, fields], self.bias[fields], stride=4)


def _stem(dim: int) -> nn.Sequential:
    quarter = dim // 4
    return nn.Sequential(
        nn.Conv2d(quarter, quarter, kernel_size=4, stride=4, bias=False),
        RMSInstanceNorm2d(quarter),
        nn.GELU(),
        nn.Conv2d(quarter, quarter, kernel_size=2, stride=2, bias=False),
        RMSInstanceNorm2d(quarter),
        nn.GELU(),
        nn.Conv2d(quarter, dim, kernel_size=2, stride=2, bias=False),
        RMSInstanceNorm2d(dim),
    )


def _decoder(dim: int) -> nn.Sequential:
    quarter = dim // 4
    return nn.Sequential(
        nn.ConvTranspose2d(dim, quarter, kernel_size=2, stride=2, bias=False),
        RMSInstanceNorm2d(quarter),
        nn.GELU(),
        nn.ConvTranspose2d(quarter, quarter, kernel_size=2, stride=2, bias=False),
        RMSInstanceNorm2d(quarter),
        nn.GELU(),
    )


class AViT(SavableModel):
    """The MPP surrogate. ``size`` picks a preset; explicit dimensions override it.

    ``drop_path`` 0.2 is the value the released weights were trained with (the reference's config
    said 0.1 but never passed it on). ``bias_max_distance`` 32 likewise reproduces the reference's
    relative-position buckets, which ignore the 128 it configures.

    ``residual`` (not in the reference, which predicts the next state itself) adds the decoded
    output to the last history frame. It helps at small scale: at 32x32 a frame is only 2x2 tokens,
    too few to carry its detail through the network, so the reference form cannot even reproduce
    the last frame.
    """

    def __init__(
        self,
        size: Size | None = "Ti",
        embed_dim: int | None = None,
        num_heads: int | None = None,
        depth: int | None = None,
        n_states: int = REFERENCE_N_STATES,
        drop_path: float = 0.2,
        layer_scale: float = 1e-6,
        bias_max_distance: int = 32,
        residual: bool = False,
    ) -> None:
        super().__init__()
        self.residual = residual
        preset = dict(PRESETS[size]) if size is not None else {}
        for key, value in (("embed_dim", embed_dim), ("num_heads", num_heads), ("depth", depth)):
            if value is not None:
                preset[key] = value
        missing = {"embed_dim", "num_heads", "depth"} - set(preset)
        if missing:
            raise ValueError(f"AViT without a size needs {', '.join(sorted(missing))}")
        dim, heads, depth = preset["embed_dim"], preset["num_heads"], preset["depth"]
        if dim % 4 or dim % heads:
            raise ValueError(f"embed_dim {dim} must be divisible by 4 and by num_heads {heads}")
        self.embed_dim = dim
        self.field_embedding = FieldEmbedding(n_states, dim // 4)
        self.stem = _stem(dim)
        rates = [drop_path * i / max(depth - 1, 1) for i in range(depth)]  # linspace(0, drop_path)
        self.blocks = nn.ModuleList(
            SpaceTimeBlock(dim, heads, rate, layer_scale, bias_max_distance) for rate in rates
        )
        self.decoder = _decoder(dim)
        self.head = OutputHead(dim // 4, n_states)

    @property
    def n_states(self) -> int:
        return self.field_embedding.n_states

    def forward(self, history: Tensor, fields: Tensor, bcs: Tensor | None = None) -> Tensor:
        """Next frame (B, C, H, W) from ``history`` (B, T, C, H, W).

        ``fields`` (C,) are the embedding slots of the channels, shared by the whole batch;
        ``bcs`` (B, 2) flags periodic x and y axes (the first sample's flags are used, as in the
        reference: a micro-batch comes from one dataset). H and W must be multiples of 16.
        """
        b, t, c, h, w = history.shape
        if h % PATCH or w % PATCH:
            raise ValueError(f"AViT needs H and W divisible by {PATCH}, got {h}x{w}")
        if fields.numel() != c:
            raise ValueError(f"{c} channels but {fields.numel()} field slots")
        if int(fields.max()) >= self.n_states:
            raise ValueError(
                f"field slot {int(fields.max())} is beyond this model's {self.n_states} slots: "
                "call expand_fields first"
            )
        periodic = (False, False) if bcs is None else (bool(bcs[0, 0]), bool(bcs[0, 1]))
        mean, std = revin_statistics(history)
        x = ((history - mean) / std).flatten(0, 1)
        x = self.stem(self.field_embedding(x, fields))
        x = x.reshape(b, t, *x.shape[1:])
        for block in self.blocks:
            x = block(x, periodic)
        # The decoder works frame by frame and only the last frame is returned, so decoding the
        # last one alone gives the reference's output at 1/T of its cost.
        y = self.head(self.decoder(x[:, -1]), fields)
        if self.residual:
            return history[:, -1] + y * std[:, 0]
        return y * std[:, 0] + mean[:, 0]

    @torch.no_grad()
    def expand_fields(self, n_states: int) -> None:
        """Grows the field embedding and output head to ``n_states`` slots, keeping the old ones.

        Outputs for the old fields are unchanged: the stem's RMS norm cancels the embedding's new
        sqrt(n_states / n_present) scale. Build the optimizer after calling this.
        """
        old = self.n_states
        if n_states <= old:
            return
        embedding = FieldEmbedding(n_states, self.field_embedding.weight.shape[0]).to(
            self.field_embedding.weight
        )
        embedding.weight[:, :old] = self.field_embedding.weight
        embedding.bias.copy_(self.field_embedding.bias)
        head = OutputHead(self.head.weight.shape[0], n_states).to(self.head.weight)
        head.weight[:, :old] = self.head.weight
        head.bias[:old] = self.head.bias
        self.field_embedding, self.head = embedding, head
        self._model_args["n_states"] = n_states  # so that save/load rebuild the expanded model

    def freeze(self, mode: Literal["none", "frozen", "less_frozen"]) -> None:
        """``frozen``: only the field embedding and output head train. ``less_frozen``: the stem
        and decoder train too (the reference's less_frozen silently behaved like frozen)."""
        trainable = {
            "none": None,
            "frozen": ("field_embedding.", "head."),
            "less_frozen": ("field_embedding.", "head.", "stem.", "decoder."),
        }[mode]
        for name, parameter in self.named_parameters():
            parameter.requires_grad_(trainable is None or name.startswith(trainable))
