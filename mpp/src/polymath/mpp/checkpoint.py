"""Loading the released MPP weights onto our AViT, on one device, without DDP.

The reference's checkpoints are dicts with ``model_state`` (keys possibly prefixed ``module.`` by
DDP), ``optimizer_state_dict``, ``epoch`` and ``iters``. Three things differ from our layout:
module names, the QKV channel order (the reference groups channels head-first and splits q|k|v
inside each head's slice; we split q|k|v first, then heads), and an unused bias in every RMS norm.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import torch
from torch import Tensor

from polymath.mpp.layers import RMSInstanceNorm2d
from polymath.mpp.model import PRESETS, AViT

_RENAMES = (  # reference name pattern -> ours, applied in order
    (r"^space_bag\.", "field_embedding."),
    (r"^embed\.in_proj\.", "stem."),
    (r"^debed\.out_proj\.", "decoder."),
    (r"^debed\.out_kernel$", "head.weight"),
    (r"^debed\.out_bias$", "head.bias"),
    (r"\.temporal\.", ".time."),
    (r"\.spatial\.", ".space."),
    (r"\.input_head\.", ".qkv."),
    (r"\.output_head\.", ".proj."),
    (r"\.qnorm\.", ".q_norm."),
    (r"\.knorm\.", ".k_norm."),
    (r"\.rel_pos_bias\.relative_attention_bias\.", ".rel_bias.embedding."),
)


class CheckpointError(ValueError):
    """A checkpoint that does not fit the model it is loaded into."""


def head_first_to_qkv_first(tensor: Tensor, num_heads: int) -> Tensor:
    """Reorders the 3·D output channels of a QKV projection from [head][q|k|v][c] to [q|k|v][head][c]."""
    three_d = tensor.shape[0]
    head_dim = three_d // (3 * num_heads)
    grouped = tensor.reshape(num_heads, 3, head_dim, *tensor.shape[1:])
    return grouped.transpose(0, 1).reshape(tensor.shape)


def qkv_first_to_head_first(tensor: Tensor, num_heads: int) -> Tensor:
    three_d = tensor.shape[0]
    head_dim = three_d // (3 * num_heads)
    grouped = tensor.reshape(3, num_heads, head_dim, *tensor.shape[1:])
    return grouped.transpose(0, 1).reshape(tensor.shape)


def _rename(name: str) -> str:
    for pattern, replacement in _RENAMES:
        name = re.sub(pattern, replacement, name)
    return name


def from_reference_state_dict(state: dict[str, Tensor], model: AViT) -> dict[str, Tensor]:
    """The reference's ``model_state`` in our names and layout, checked against ``model``."""
    state = {key.removeprefix("module."): value for key, value in state.items()}
    ours = model.state_dict()
    rms_biases = {
        f"{name}.bias"
        for name, module in model.named_modules()
        if isinstance(module, RMSInstanceNorm2d)
    }
    mapped: dict[str, Tensor] = {}
    for key, value in state.items():
        name = _rename(key)
        if name in rms_biases:
            continue  # the reference's unused RMS-norm bias
        if re.search(r"\.qkv\.(weight|bias)$", name):
            value = head_first_to_qkv_first(value, _num_heads(model))
        mapped[name] = value
    missing = sorted(set(ours) - set(mapped))
    unexpected = sorted(set(mapped) - set(ours))
    if missing or unexpected:
        raise CheckpointError(
            f"reference checkpoint does not fit AViT: missing {_short(missing)}; unexpected {_short(unexpected)}"
        )
    wrong = [
        f"{name} {tuple(value.shape)} vs {tuple(ours[name].shape)}"
        for name, value in mapped.items()
        if value.shape != ours[name].shape
    ]
    if wrong:
        raise CheckpointError(
            f"reference checkpoint has other shapes (another size?): {_short(wrong)}"
        )
    return mapped


def to_reference_state_dict(model: AViT, ddp_prefix: bool = True) -> dict[str, Tensor]:
    """Our weights in the reference's names and layout (unused RMS biases as zeros)."""
    inverse = {}
    heads = _num_heads(model)
    for name, value in model.state_dict().items():
        if re.search(r"\.qkv\.(weight|bias)$", name):
            value = qkv_first_to_head_first(value, heads)
        inverse[name] = value.clone()
    for name, module in model.named_modules():
        if isinstance(module, RMSInstanceNorm2d):
            inverse[name + ".bias"] = torch.zeros_like(module.weight)
    reverse = (
        (r"^field_embedding\.", "space_bag."),
        (r"^stem\.", "embed.in_proj."),
        (r"^decoder\.", "debed.out_proj."),
        (r"^head\.weight$", "debed.out_kernel"),
        (r"^head\.bias$", "debed.out_bias"),
        (r"\.time\.", ".temporal."),
        (r"\.space\.", ".spatial."),
        (r"\.qkv\.", ".input_head."),
        (r"\.proj\.", ".output_head."),
        (r"\.q_norm\.", ".qnorm."),
        (r"\.k_norm\.", ".knorm."),
        (r"\.rel_bias\.embedding\.", ".rel_pos_bias.relative_attention_bias."),
    )
    prefix = "module." if ddp_prefix else ""
    result = {}
    for name, value in inverse.items():
        for pattern, replacement in reverse:
            name = re.sub(pattern, replacement, name)
        result[prefix + name] = value
    return result


def load_reference_checkpoint(
    path: str | os.PathLike[str], size: str | None = "infer", **model_args
) -> AViT:
    """An AViT with the released weights at ``path``.

    ``size`` "infer" reads the preset from the weights; a preset name, or ``None`` with the
    dimensions in ``model_args`` (embed_dim, num_heads, depth), must match the weights, else the
    error names both sizes.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    state = checkpoint.get("model_state", checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        raise CheckpointError(f"{path} holds no 'model_state' dictionary")
    dim, depth = _dimensions(state)
    if size == "infer":
        size = _preset_of(dim, depth)
        if size is None:
            raise CheckpointError(
                f"{path}: embed_dim {dim} and {depth} blocks match no preset (Ti, S, B, L)"
            )
    n_states = _field_embedding(state).shape[1]
    model = AViT(size=size, n_states=n_states, **model_args)
    if (dim, depth) != (model.embed_dim, len(model.blocks)):
        raise CheckpointError(
            f"{path} is {_describe(dim, depth)}, but the model asks for "
            f"{_describe(model.embed_dim, len(model.blocks))}"
        )
    model.load_state_dict(from_reference_state_dict(state, model))
    return model


def _field_embedding(state: dict[str, Tensor]) -> Tensor:
    for key, value in state.items():
        if key.removeprefix("module.") == "space_bag.weight":
            return value
    raise CheckpointError("not an MPP checkpoint: no space_bag.weight")


def _dimensions(state: dict[str, Tensor]) -> tuple[int, int]:
    """(embed_dim, depth) of a reference state dict."""
    dim = _field_embedding(state).shape[0] * 4
    depth = 1 + max(
        (int(m.group(1)) for key in state if (m := re.match(r"(?:module\.)?blocks\.(\d+)\.", key))),
        default=-1,
    )
    return dim, depth


def _preset_of(dim: int, depth: int) -> str | None:
    for name, preset in PRESETS.items():
        if preset["embed_dim"] == dim and preset["depth"] == depth:
            return name
    return None


def _describe(dim: int, depth: int) -> str:
    preset = _preset_of(dim, depth)
    return f"embed_dim {dim} with {depth} blocks" + (f" (AViT-{preset})" if preset else "")


def _num_heads(model: AViT) -> int:
    return model.blocks[0].time.num_heads


def _short(names: list[str], limit: int = 6) -> str:
    if not names:
        return "none"
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
