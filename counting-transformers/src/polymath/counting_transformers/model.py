"""An encoder–decoder transformer for contextual counting, in plain torch.

The encoder reads ``BOS``, 0/1 tokens and region delimiters; the decoder reads one query per region
(its index) and classifies the number of 1s in that region. Attention is written out explicitly,
softmax(QK^T/sqrt(d) + bias + mask) V, so that the probabilities used for analysis are the ones the
model trains with (``return_attention=True``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, get_args

import torch
from torch import nn

from polymath.foundation import SavableModel

Position = Literal["none", "learned", "sinusoidal", "rope", "alibi"]
Decoder = Literal["full", "cross"]
POSITIONS = get_args(Position)
DECODERS = get_args(Decoder)
PAD_ID = 0
VOCAB_SIZE = 6


@dataclass(frozen=True)
class CountingTransformerConfig:
    num_classes: int
    max_regions: int = 8
    d_model: int = 64
    n_heads: int = 1
    encoder_layers: int = 1
    decoder_layers: int = 1
    d_ff: int | None = None
    causal: bool = True
    position: Position = "none"
    decoder: Decoder = "full"
    max_length: int = 1024

    def __post_init__(self) -> None:
        for name in ("num_classes", "max_regions", "d_model", "n_heads", "max_length"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("encoder_layers", "decoder_layers"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.d_ff is not None and self.d_ff < 1:
            raise ValueError(f"d_ff must be >= 1 or None, got {self.d_ff}")
        if self.position not in POSITIONS:
            raise ValueError(f"position={self.position!r} is not one of {POSITIONS}")
        if self.decoder not in DECODERS:
            raise ValueError(f"decoder={self.decoder!r} is not one of {DECODERS}")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} is not divisible by n_heads={self.n_heads}")
        if self.position == "rope" and (self.d_model // self.n_heads) % 2:
            raise ValueError("rope needs an even head dimension (d_model / n_heads)")


def attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    bias: torch.Tensor | None = None,
    mask: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Scaled dot-product attention; ``mask`` is True where a query may attend to a key."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if bias is not None:
        scores = scores + bias
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    probs = scores.softmax(dim=-1)
    return probs @ v, probs


def rotate(x: torch.Tensor, positions: torch.Tensor, base: float = 10000.0) -> torch.Tensor:
    """Rotary position embedding of ``x`` (..., length, dim) at integer ``positions`` (length,)."""
    half = x.shape[-1] // 2
    frequencies = base ** (-torch.arange(half, device=x.device, dtype=x.dtype) / half)
    angles = positions.to(x.dtype)[:, None] * frequencies[None, :]
    cos, sin = angles.cos(), angles.sin()
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


def alibi_slopes(n_heads: int) -> torch.Tensor:
    """The geometric slopes of ALiBi (Press et al.): 2^(-8h/H) for h = 1..H."""
    return 2.0 ** (-8.0 * torch.arange(1, n_heads + 1) / n_heads)


def alibi_bias(n_heads: int, length: int) -> torch.Tensor:
    """(heads, length, length) additive bias -slope * |i - j|; the causal mask hides j > i."""
    offsets = torch.arange(length)
    distance = (offsets[:, None] - offsets[None, :]).abs().float()
    return -alibi_slopes(n_heads)[:, None, None] * distance


def sinusoidal_table(length: int, d_model: int) -> torch.Tensor:
    positions = torch.arange(length, dtype=torch.float32)[:, None]
    frequencies = 10000.0 ** (-torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)
    table = torch.zeros(length, d_model)
    table[:, 0::2] = torch.sin(positions * frequencies)
    table[:, 1::2] = torch.cos(positions * frequencies[: d_model // 2])
    return table


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model: int, n_heads: int, rotary: bool = False) -> None:
        super().__init__()
        self.n_heads, self.rotary = n_heads, rotary
        self.query = nn.Linear(d_model, d_model)
        self.key = nn.Linear(d_model, d_model)
        self.value = nn.Linear(d_model, d_model)
        self.out = nn.Linear(d_model, d_model)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, _ = x.shape
        return x.view(batch, length, self.n_heads, -1).transpose(1, 2)

    def forward(
        self,
        x: torch.Tensor,
        memory: torch.Tensor,
        bias: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        q, k, v = (
            self._split(self.query(x)),
            self._split(self.key(memory)),
            self._split(self.value(memory)),
        )
        if self.rotary:
            q = rotate(q, torch.arange(q.shape[-2], device=q.device))
            k = rotate(k, torch.arange(k.shape[-2], device=k.device))
        out, probs = attention(q, k, v, bias, mask)
        batch, _, length, _ = out.shape
        return self.out(out.transpose(1, 2).reshape(batch, length, -1)), probs


def feed_forward(d_model: int, d_ff: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_model, d_ff), nn.GELU(), nn.Linear(d_ff, d_model))


class EncoderLayer(nn.Module):
    def __init__(self, config: CountingTransformerConfig) -> None:
        super().__init__()
        d, d_ff = config.d_model, config.d_ff or 4 * config.d_model
        self.norm_attention, self.norm_mlp = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attention = MultiHeadAttention(d, config.n_heads, rotary=config.position == "rope")
        self.mlp = feed_forward(d, d_ff)

    def forward(self, x, bias, mask):
        h = self.norm_attention(x)
        update, probs = self.attention(h, h, bias, mask)
        x = x + update
        return x + self.mlp(self.norm_mlp(x)), probs


class DecoderLayer(nn.Module):
    """Self-attention over queries, cross-attention to the encoder, MLP; or cross-attention only."""

    def __init__(self, config: CountingTransformerConfig) -> None:
        super().__init__()
        d, d_ff = config.d_model, config.d_ff or 4 * config.d_model
        self.full = config.decoder == "full"
        self.norm_cross = nn.LayerNorm(d)
        self.cross = MultiHeadAttention(d, config.n_heads)
        if self.full:
            self.norm_self, self.norm_mlp = nn.LayerNorm(d), nn.LayerNorm(d)
            self.self_attention = MultiHeadAttention(d, config.n_heads)
            self.mlp = feed_forward(d, d_ff)

    def forward(self, y, memory, query_mask, memory_mask):
        self_probs = None
        if self.full:
            h = self.norm_self(y)
            update, self_probs = self.self_attention(h, h, mask=query_mask)
            y = y + update
        update, cross_probs = self.cross(self.norm_cross(y), memory, mask=memory_mask)
        y = y + update
        if self.full:
            y = y + self.mlp(self.norm_mlp(y))
        return y, self_probs, cross_probs


class CountingTransformer(SavableModel):
    """Keyword arguments are the fields of :class:`CountingTransformerConfig`, which checks them;
    as a ``SavableModel`` it saves and rebuilds itself (``save``, ``SavableModel.load``)."""

    def __init__(
        self,
        num_classes: int,
        max_regions: int = 8,
        d_model: int = 64,
        n_heads: int = 1,
        encoder_layers: int = 1,
        decoder_layers: int = 1,
        d_ff: int | None = None,
        causal: bool = True,
        position: Position = "none",
        decoder: Decoder = "full",
        max_length: int = 1024,
    ) -> None:
        super().__init__()
        self.config = config = CountingTransformerConfig(
            num_classes=num_classes,
            max_regions=max_regions,
            d_model=d_model,
            n_heads=n_heads,
            encoder_layers=encoder_layers,
            decoder_layers=decoder_layers,
            d_ff=d_ff,
            causal=causal,
            position=position,
            decoder=decoder,
            max_length=max_length,
        )
        d = config.d_model
        self.token_embedding = nn.Embedding(VOCAB_SIZE, d)
        self.query_embedding = nn.Embedding(config.max_regions, d)
        if config.position == "learned":
            self.position_embedding = nn.Embedding(config.max_length, d)
        self.encoder = nn.ModuleList(EncoderLayer(config) for _ in range(config.encoder_layers))
        self.decoder = nn.ModuleList(DecoderLayer(config) for _ in range(config.decoder_layers))
        self.encoder_norm, self.decoder_norm = nn.LayerNorm(d), nn.LayerNorm(d)
        self.head = nn.Linear(d, config.num_classes)

    def _embed(self, tokens: torch.Tensor) -> torch.Tensor:
        length = tokens.shape[1]
        x = self.token_embedding(tokens)
        if self.config.position == "learned":
            if length > self.config.max_length:
                raise ValueError(
                    f"learned positions are defined up to max_length={self.config.max_length}, "
                    f"got a sequence of {length} tokens"
                )
            x = x + self.position_embedding.weight[:length]
        elif self.config.position == "sinusoidal":
            x = x + sinusoidal_table(length, self.config.d_model).to(x)
        return x

    def encode(
        self, tokens: torch.Tensor, return_attention: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        """Encoder outputs (batch, length, d_model); pad keys are masked, causal if configured."""
        length = tokens.shape[1]
        mask = (tokens != PAD_ID)[:, None, None, :]
        if self.config.causal:
            mask = mask & torch.ones(length, length, dtype=torch.bool, device=tokens.device).tril()
        bias = None
        if self.config.position == "alibi":
            bias = alibi_bias(self.config.n_heads, length).to(tokens.device)
        x, maps = self._embed(tokens), []
        for layer in self.encoder:
            x, probs = layer(x, bias, mask)
            maps.append(probs)
        x = self.encoder_norm(x)
        return (x, maps) if return_attention else x

    def forward(
        self,
        tokens: torch.Tensor,
        queries: torch.Tensor,
        query_mask: torch.Tensor | None = None,
        return_attention: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, dict[str, list[torch.Tensor]]]:
        """Logits over counts (batch, regions, num_classes) for each region query."""
        if int(queries.max()) >= self.config.max_regions:
            raise ValueError(
                f"region query {int(queries.max())} is beyond max_regions={self.config.max_regions}"
            )
        memory, encoder_maps = self.encode(tokens, return_attention=True)
        memory_mask = (tokens != PAD_ID)[:, None, None, :]
        if query_mask is None:
            query_mask = torch.ones_like(queries, dtype=torch.bool)
        self_mask = query_mask[:, None, None, :]
        y, self_maps, cross_maps = self.query_embedding(queries), [], []
        for layer in self.decoder:
            y, self_probs, cross_probs = layer(y, memory, self_mask, memory_mask)
            self_maps.append(self_probs)
            cross_maps.append(cross_probs)
        logits = self.head(self.decoder_norm(y))
        if not return_attention:
            return logits
        maps = {"encoder": encoder_maps, "decoder_cross": cross_maps}
        if self.config.decoder == "full":
            maps["decoder_self"] = self_maps
        return logits, maps
