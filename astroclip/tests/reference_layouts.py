"""Synthetic checkpoints in the reference's layouts, and forwards written directly on them.

Each forward follows the reference's architecture from its parameter names (DINOv2 blocks with
LayerScale and eps 1e-6 norms; SpecFormer with q, k, v split from one projection and an
``nn.Embedding`` of positions; AstroCLIP's heads with ``nn.MultiheadAttention``), independently of
the package's modules, so a mapping that renames correctly but wires wrongly fails the tests.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

State = dict[str, torch.Tensor]


def _random(shapes: dict[str, tuple[int, ...]], seed: int) -> State:
    generator = torch.Generator().manual_seed(seed)
    return {k: torch.randn(*s, generator=generator) * 0.2 for k, s in shapes.items()}


def dinov2_state(width: int, depth: int, chunks: int = 0, grid: int = 12, seed: int = 0) -> State:
    """A DINOv2 ViT state dict (patch 12); with ``chunks``, blocks are ``blocks.<chunk>.<i>``."""
    shapes = {
        "cls_token": (1, 1, width),
        "pos_embed": (1, 1 + grid**2, width),
        "mask_token": (1, width),
        "patch_embed.proj.weight": (width, 3, 12, 12),
        "patch_embed.proj.bias": (width,),
        "norm.weight": (width,),
        "norm.bias": (width,),
    }
    per_chunk = depth // chunks if chunks else depth
    for i in range(depth):
        name = f"blocks.{i // per_chunk}.{i}" if chunks else f"blocks.{i}"
        for part, shape in {
            "norm1.weight": (width,),
            "norm1.bias": (width,),
            "attn.qkv.weight": (3 * width, width),
            "attn.qkv.bias": (3 * width,),
            "attn.proj.weight": (width, width),
            "attn.proj.bias": (width,),
            "ls1.gamma": (width,),
            "norm2.weight": (width,),
            "norm2.bias": (width,),
            "mlp.fc1.weight": (4 * width, width),
            "mlp.fc1.bias": (4 * width,),
            "mlp.fc2.weight": (width, 4 * width),
            "mlp.fc2.bias": (width,),
            "ls2.gamma": (width,),
        }.items():
            shapes[f"{name}.{part}"] = shape
    return _random(shapes, seed)


def _attention(x: torch.Tensor, qkv_w, qkv_b, proj_w, proj_b, heads: int) -> torch.Tensor:
    b, n, c = x.shape
    q, k, v = F.linear(x, qkv_w, qkv_b).split(c, dim=2)
    q, k, v = (t.view(b, n, heads, c // heads).transpose(1, 2) for t in (q, k, v))
    weights = (q @ k.transpose(-2, -1) / (c // heads) ** 0.5).softmax(-1)
    return F.linear((weights @ v).transpose(1, 2).reshape(b, n, c), proj_w, proj_b)


def dinov2_patch_tokens(state: State, images: torch.Tensor, heads: int) -> torch.Tensor:
    """AstroCLIP's image backbone pass: patch_embed, the blocks, the final norm (no CLS, no
    positions)."""
    x = F.conv2d(images, state["patch_embed.proj.weight"], state["patch_embed.proj.bias"], 12)
    x = x.flatten(2).transpose(1, 2)
    width = x.shape[-1]
    names = sorted(
        {k.rsplit(".norm1.weight", 1)[0] for k in state if k.endswith(".norm1.weight")},
        key=lambda k: int(k.split(".")[-1]),
    )
    for name in names:
        p = {k[len(name) + 1 :]: v for k, v in state.items() if k.startswith(name + ".")}
        h = F.layer_norm(x, (width,), p["norm1.weight"], p["norm1.bias"], 1e-6)
        attention = _attention(
            h,
            p["attn.qkv.weight"],
            p["attn.qkv.bias"],
            p["attn.proj.weight"],
            p["attn.proj.bias"],
            heads,
        )
        x = x + p["ls1.gamma"] * attention
        h = F.layer_norm(x, (width,), p["norm2.weight"], p["norm2.bias"], 1e-6)
        h = F.linear(
            F.gelu(F.linear(h, p["mlp.fc1.weight"], p["mlp.fc1.bias"])),
            p["mlp.fc2.weight"],
            p["mlp.fc2.bias"],
        )
        x = x + p["ls2.gamma"] * h
    return F.layer_norm(x, (width,), state["norm.weight"], state["norm.bias"], 1e-6)


def specformer_state(width: int, depth: int, max_len: int = 800, seed: int = 1) -> State:
    shapes = {
        "data_embed.weight": (width, 22),
        "data_embed.bias": (width,),
        "position_embed.weight": (max_len, width),
        "final_layernorm.weight": (width,),
        "final_layernorm.bias": (width,),
        "head.weight": (22, width),
        "head.bias": (22,),
    }
    for i in range(depth):
        for part, shape in {
            "layernorm1.weight": (width,),
            "layernorm1.bias": (width,),
            "attention.attention.weight": (3 * width, width),
            "attention.attention.bias": (3 * width,),
            "attention.projection.weight": (width, width),
            "attention.projection.bias": (width,),
            "layernorm2.weight": (width,),
            "layernorm2.bias": (width,),
            "mlp.encoder.weight": (4 * width, width),
            "mlp.encoder.bias": (4 * width,),
            "mlp.decoder.weight": (width, 4 * width),
            "mlp.decoder.bias": (width,),
        }.items():
            shapes[f"blocks.{i}.{part}"] = shape
    return _random(shapes, seed)


def specformer_embedding(state: State, tokens: torch.Tensor, heads: int) -> torch.Tensor:
    """The reference SpecFormer's ``embedding`` output (final-normed hidden states)."""
    width = state["data_embed.weight"].shape[0]
    x = F.linear(tokens, state["data_embed.weight"], state["data_embed.bias"])
    x = x + state["position_embed.weight"][: tokens.shape[1]]
    depth = len({k.split(".")[1] for k in state if k.startswith("blocks.")})
    for i in range(depth):
        p = {k[len(f"blocks.{i}.") :]: v for k, v in state.items() if k.startswith(f"blocks.{i}.")}
        h = F.layer_norm(x, (width,), p["layernorm1.weight"], p["layernorm1.bias"])
        x = x + _attention(
            h,
            p["attention.attention.weight"],
            p["attention.attention.bias"],
            p["attention.projection.weight"],
            p["attention.projection.bias"],
            heads,
        )
        h = F.layer_norm(x, (width,), p["layernorm2.weight"], p["layernorm2.bias"])
        x = x + F.linear(
            F.gelu(F.linear(h, p["mlp.encoder.weight"], p["mlp.encoder.bias"])),
            p["mlp.decoder.weight"],
            p["mlp.decoder.bias"],
        )
    return F.layer_norm(x, (width,), state["final_layernorm.weight"], state["final_layernorm.bias"])


def head_state(embed_dim: int, backbone_dim: int, heads: int, seed: int) -> State:
    """An AstroCLIP head (``cross_attention`` + ``mlp``) as the reference's modules name it."""
    torch.manual_seed(seed)
    attention = torch.nn.MultiheadAttention(
        embed_dim, heads, batch_first=True, kdim=backbone_dim, vdim=backbone_dim
    )
    state = {f"cross_attention.multihead_attn.{k}": v for k, v in attention.state_dict().items()}
    state.update(
        _random(
            {
                "cross_attention.query": (1, 1, embed_dim),
                "cross_attention.layernorm.weight": (embed_dim,),
                "cross_attention.layernorm.bias": (embed_dim,),
                "mlp.encoder.weight": (4 * embed_dim, embed_dim),
                "mlp.encoder.bias": (4 * embed_dim,),
                "mlp.decoder.weight": (embed_dim, 4 * embed_dim),
                "mlp.decoder.bias": (embed_dim,),
            },
            seed,
        )
    )
    return state


def head_forward(state: State, tokens: torch.Tensor, heads: int, residual: bool) -> torch.Tensor:
    """The reference head in eval mode: query attends, LayerNorm, MLP (residual or not)."""
    embed_dim = state["cross_attention.query"].shape[-1]
    backbone_dim = tokens.shape[-1]
    attention = torch.nn.MultiheadAttention(
        embed_dim, heads, batch_first=True, kdim=backbone_dim, vdim=backbone_dim
    )
    prefix = "cross_attention.multihead_attn."
    attention.load_state_dict(
        {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
    )
    query = state["cross_attention.query"].repeat(len(tokens), 1, 1)
    pooled = attention(query, tokens, tokens)[0][:, 0]
    x = F.layer_norm(
        pooled,
        (embed_dim,),
        state["cross_attention.layernorm.weight"],
        state["cross_attention.layernorm.bias"],
    )
    mlp = F.linear(
        F.gelu(F.linear(x, state["mlp.encoder.weight"], state["mlp.encoder.bias"])),
        state["mlp.decoder.weight"],
        state["mlp.decoder.bias"],
    )
    return x + mlp if residual else mlp
