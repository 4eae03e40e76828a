"""The building blocks of AViT: norms, the T5 relative bias, drop-path and the space-time block."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class RMSInstanceNorm2d(nn.Module):
    """Divides each sample's channel by its spatial std (no mean subtraction), times a learned scale.

    The reference also creates a bias it never uses; the released weights carry it, and
    ``load_reference_checkpoint`` drops it.
    """

    def __init__(self, dim: int, eps: float = 1e-8) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: Tensor) -> Tensor:
        std = torch.std(x, dim=(-2, -1), keepdim=True)
        return x / (std + self.eps) * self.weight[:, None, None]


class DropPath(nn.Module):
    """Stochastic depth: drops a sample's whole residual branch with probability ``p``."""

    def __init__(self, p: float = 0.0) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        if self.p == 0.0 or not self.training:
            return x
        keep = 1.0 - self.p
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
        return x * mask / keep


def relative_position_bucket(
    relative_position: Tensor, num_buckets: int = 32, max_distance: int = 32
) -> Tensor:
    """T5's bidirectional log-spaced buckets of relative positions."""
    num_buckets //= 2
    buckets = (relative_position > 0).long() * num_buckets
    distance = relative_position.abs()
    max_exact = num_buckets // 2
    is_small = distance < max_exact
    large = (
        max_exact
        + (
            torch.log(distance.float().clamp(min=1) / max_exact)
            / math.log(max_distance / max_exact)
            * (num_buckets - max_exact)
        ).long()
    )
    large = large.clamp(max=num_buckets - 1)
    return buckets + torch.where(is_small, distance, large)


class RelativePositionBias(nn.Module):
    """A learned bias per head and bucket of relative position, wrapping around periodic axes.

    ``max_distance`` defaults to 32 because the reference passes 128 but its bucketing ignores it
    and uses 32: the released weights were trained that way.
    """

    def __init__(self, num_heads: int, num_buckets: int = 32, max_distance: int = 32) -> None:
        super().__init__()
        self.num_buckets = num_buckets
        self.max_distance = max_distance
        self.embedding = nn.Embedding(num_buckets, num_heads)

    def forward(self, length: int, periodic: bool = False) -> Tensor:
        """(1, heads, length, length) bias; on a periodic axis distances are taken modulo ``length``."""
        positions = torch.arange(length, device=self.embedding.weight.device)
        relative = positions[None, :] - positions[:, None]
        if periodic:  # to [-length/2, length/2): a function of the distance modulo length
            relative = torch.remainder(relative + length // 2, length) - length // 2
        buckets = relative_position_bucket(relative, self.num_buckets, self.max_distance)
        return self.embedding(buckets).permute(2, 0, 1)[None]


def split_heads(qkv: Tensor, num_heads: int) -> tuple[Tensor, Tensor, Tensor]:
    """(..., 3·D) channels laid out [q | k | v], each head-major -> q, k, v of (..., heads, D/heads)."""
    q, k, v = qkv.chunk(3, dim=-1)
    shape = (*q.shape[:-1], num_heads, q.shape[-1] // num_heads)
    return q.reshape(shape), k.reshape(shape), v.reshape(shape)


class TemporalAttention(nn.Module):
    """Every spatial location attends over the T frames (no causal mask), with a T5 relative bias."""

    def __init__(
        self, dim: int, num_heads: int, drop_path: float, layer_scale: float, max_distance: int
    ) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.norm1 = nn.InstanceNorm2d(dim, affine=True)
        self.qkv = nn.Conv2d(dim, 3 * dim, 1)
        self.q_norm = nn.LayerNorm(dim // num_heads)
        self.k_norm = nn.LayerNorm(dim // num_heads)
        self.rel_bias = RelativePositionBias(num_heads, max_distance=max_distance)
        self.norm2 = nn.InstanceNorm2d(dim, affine=True)
        self.proj = nn.Conv2d(dim, dim, 1)
        self.gamma = nn.Parameter(layer_scale * torch.ones(dim))
        self.drop_path = DropPath(drop_path)

    def forward(self, x: Tensor) -> Tensor:
        """x: (B, T, D, h, w)."""
        b, t, d, h, w = x.shape
        qkv = self.qkv(self.norm1(x.flatten(0, 1)))  # (B·T, 3D, h, w)
        qkv = qkv.reshape(b, t, 3 * d, h, w).permute(0, 3, 4, 1, 2)  # (B, h, w, T, 3D)
        q, k, v = (part.transpose(-3, -2) for part in split_heads(qkv, self.num_heads))
        y = F.scaled_dot_product_attention(
            self.q_norm(q), self.k_norm(k), v, attn_mask=self.rel_bias(t).to(q.dtype)
        )  # (B, h, w, heads, T, c)
        y = y.permute(0, 4, 3, 5, 1, 2).reshape(b * t, d, h, w)
        y = self.proj(self.norm2(y)).reshape(b, t, d, h, w)
        return x + self.drop_path(y * self.gamma[:, None, None])


class Mlp(nn.Module):
    def __init__(self, dim: int, ratio: int = 4) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, ratio * dim)
        self.fc2 = nn.Linear(ratio * dim, dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class AxialAttention(nn.Module):
    """Attention along x and along y with a shared QKV, averaged; then an MLP. Both residual."""

    def __init__(
        self, dim: int, num_heads: int, drop_path: float, layer_scale: float, max_distance: int
    ) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.norm1 = RMSInstanceNorm2d(dim)
        self.qkv = nn.Conv2d(dim, 3 * dim, 1)
        self.q_norm = nn.LayerNorm(dim // num_heads)
        self.k_norm = nn.LayerNorm(dim // num_heads)
        self.rel_bias = RelativePositionBias(num_heads, max_distance=max_distance)
        self.norm2 = RMSInstanceNorm2d(dim)
        self.proj = nn.Conv2d(dim, dim, 1)
        self.gamma_att = nn.Parameter(layer_scale * torch.ones(dim))
        self.mlp = Mlp(dim)
        self.mlp_norm = RMSInstanceNorm2d(dim)
        self.gamma_mlp = nn.Parameter(layer_scale * torch.ones(dim))
        self.drop_path = DropPath(drop_path)

    def forward(self, x: Tensor, periodic: tuple[bool, bool]) -> Tensor:
        """x: (N, D, h, w); ``periodic`` = (x axis, y axis), the reference's boundary flags."""
        n, d, h, w = x.shape
        qkv = self.qkv(self.norm1(x)).permute(0, 2, 3, 1)  # (N, h, w, 3D)
        q, k, v = split_heads(qkv, self.num_heads)  # (N, h, w, heads, c)
        q, k = self.q_norm(q), self.k_norm(k)
        along_x = F.scaled_dot_product_attention(
            *(t.permute(0, 1, 3, 2, 4) for t in (q, k, v)),  # (N, h, heads, w, c)
            attn_mask=self.rel_bias(w, periodic[0]).to(q.dtype),
        ).permute(0, 1, 3, 2, 4)
        along_y = F.scaled_dot_product_attention(
            *(t.permute(0, 2, 3, 1, 4) for t in (q, k, v)),  # (N, w, heads, h, c)
            attn_mask=self.rel_bias(h, periodic[1]).to(q.dtype),
        ).permute(0, 3, 1, 2, 4)
        y = (0.5 * (along_x + along_y)).reshape(n, h, w, d).permute(0, 3, 1, 2)
        x = x + self.drop_path(self.proj(self.norm2(y)) * self.gamma_att[:, None, None])
        y = self.mlp(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return x + self.drop_path(self.mlp_norm(y) * self.gamma_mlp[:, None, None])


class SpaceTimeBlock(nn.Module):
    def __init__(
        self,
        dim: int,
        num_heads: int,
        drop_path: float = 0.0,
        layer_scale: float = 1e-6,
        max_distance: int = 32,
    ) -> None:
        super().__init__()
        self.time = TemporalAttention(dim, num_heads, drop_path, layer_scale, max_distance)
        self.space = AxialAttention(dim, num_heads, drop_path, layer_scale, max_distance)

    def forward(self, x: Tensor, periodic: tuple[bool, bool]) -> Tensor:
        """x: (B, T, D, h, w)."""
        x = self.time(x)
        return self.space(x.flatten(0, 1), periodic).reshape(x.shape)
