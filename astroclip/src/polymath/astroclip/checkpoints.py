"""The released AstroCLIP weights mapped onto these modules, without dinov2 or the reference code.

Three layouts, as the reference writes them:

- **AstroDINO** (a DINOv2 ViT): ``patch_embed.proj``, ``blocks.<i>.{norm1, attn.qkv, attn.proj,
  ls1.gamma, norm2, mlp.fc1, mlp.fc2, ls2.gamma}``, ``norm``, ``cls_token``, ``pos_embed``,
  ``mask_token``. With ``block_chunks`` (AstroDINO uses 4) the blocks are ``blocks.<chunk>.<i>``;
  a training checkpoint prefixes them with ``teacher.backbone.`` (the teacher is the one kept).
- **SpecFormer** (a Lightning checkpoint, ``state_dict``): ``data_embed``, ``position_embed``
  (an ``nn.Embedding``), ``blocks.<i>.{layernorm1, attention.attention, attention.projection,
  layernorm2, mlp.encoder, mlp.decoder}``, ``final_layernorm``, ``head``.
- **AstroCLIP** (a Lightning checkpoint): ``image_encoder.backbone.`` (AstroDINO) and
  ``spectrum_encoder.backbone.`` (SpecFormer), each with ``cross_attention.{query,
  multihead_attn, layernorm}`` and ``mlp.{encoder, decoder}``.

Every mapping is strict: a missing, unexpected or misshapen key is a ``CheckpointError`` that
names it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path

import torch
from torch import nn

from polymath.astroclip.model import AstroCLIP, SpecFormer, VisionTransformer

StateDict = Mapping[str, torch.Tensor]


class CheckpointError(ValueError):
    """A checkpoint that does not fit the module it is loaded into."""


_VIT_BLOCK = {
    "norm1": "norm1",
    "attn.qkv": "qkv",
    "attn.proj": "proj",
    "ls1.gamma": "gamma1",
    "norm2": "norm2",
    "mlp.fc1": "mlp.0",
    "mlp.fc2": "mlp.2",
    "ls2.gamma": "gamma2",
}
_SPECFORMER_BLOCK = {
    "layernorm1": "norm1",
    "attention.attention": "qkv",
    "attention.projection": "proj",
    "layernorm2": "norm2",
    "mlp.encoder": "mlp.0",
    "mlp.decoder": "mlp.2",
}
_HEAD = {
    "cross_attention.query": "query",
    "cross_attention.multihead_attn": "attention",
    "cross_attention.layernorm": "norm",
    "mlp.encoder": "mlp.0",
    "mlp.decoder": "mlp.2",
}


def _rename(key: str, table: Mapping[str, str]) -> str | None:
    for old, new in table.items():
        if key == old or key.startswith(old + "."):
            return new + key[len(old) :]
    return None


def _strip(state: StateDict, prefixes: tuple[str, ...]) -> dict[str, torch.Tensor]:
    for prefix in prefixes:
        if any(k.startswith(prefix) for k in state):
            return {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
    return dict(state)


def vit_from_dinov2(state: StateDict) -> dict[str, torch.Tensor]:
    """An AstroDINO (DINOv2) backbone state dict in ``VisionTransformer``'s names."""
    state = _strip(state, ("teacher.backbone.", "backbone.", "module."))
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        block = re.match(r"blocks\.(?:\d+\.)?(\d+)\.(.+)$", key)
        if block:
            name = _rename(block.group(2), _VIT_BLOCK)
            out[f"blocks.{block.group(1)}.{name or block.group(2)}"] = value
        elif key.startswith("patch_embed.proj."):
            out["patch_embed." + key.removeprefix("patch_embed.proj.")] = value
        else:
            out[key] = value
    return out


def specformer_from_reference(state: StateDict) -> dict[str, torch.Tensor]:
    """A reference SpecFormer state dict in ``SpecFormer``'s names."""
    state = _strip(state, ("backbone.", "module."))
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        block = re.match(r"blocks\.(\d+)\.(.+)$", key)
        if block:
            name = _rename(block.group(2), _SPECFORMER_BLOCK)
            out[f"blocks.{block.group(1)}.{name or block.group(2)}"] = value
        elif key == "position_embed.weight":
            out["position"] = value.unsqueeze(0)
        else:
            renamed = _rename(key, {"data_embed": "embedding", "final_layernorm": "norm"})
            out[renamed or key] = value
    return out


def _head(state: StateDict) -> dict[str, torch.Tensor]:
    out = {}
    for key, value in state.items():
        renamed = _rename(key, _HEAD)
        out[renamed or key] = value
    return out


def astroclip_from_reference(state: StateDict) -> dict[str, torch.Tensor]:
    """A reference AstroCLIP state dict in ``AstroCLIP``'s names (logit scale kept as ours when
    the checkpoint has none: the reference's fixed scale is not a parameter)."""
    state = _strip(state, ("model.", "module."))
    parts: dict[str, tuple[str, Callable[[StateDict], dict[str, torch.Tensor]]]] = {
        "image_encoder.backbone.": ("image_encoder.", vit_from_dinov2),
        "spectrum_encoder.backbone.": ("spectrum_encoder.", specformer_from_reference),
        "image_encoder.": ("image_head.", _head),
        "spectrum_encoder.": ("spectrum_head.", _head),
    }
    out: dict[str, torch.Tensor] = {}
    taken: set[str] = set()
    for prefix, (target, convert) in parts.items():
        part = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
        part = {k: v for k, v in part.items() if prefix + k not in taken}
        taken.update(prefix + k for k in part)
        out.update({target + k: v for k, v in convert(part).items()})
    for key, value in state.items():
        if key not in taken:
            out["log_logit_scale" if key == "logit_scale" else key] = value
    return out


def read_state_dict(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """The tensors of a checkpoint file: a bare state dict, or the ``state_dict`` of a Lightning
    checkpoint, or the ``teacher``/``model`` entry of a DINOv2 training checkpoint."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such file")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for files it cannot read
        raise CheckpointError(f"{path}: not a torch checkpoint of tensors ({error})") from None
    for key in ("state_dict", "teacher", "model"):
        if isinstance(loaded, dict) and isinstance(loaded.get(key), dict):
            loaded = loaded[key]
            break
    if not isinstance(loaded, dict) or not all(torch.is_tensor(v) for v in loaded.values()):
        raise CheckpointError(f"{path}: no state dict of tensors inside")
    return loaded


def load_state_strictly(module: nn.Module, state: StateDict, what: str) -> nn.Module:
    """``module.load_state_dict`` that names every missing, unexpected or misshapen key."""
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    misshapen = [
        f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}"
        for k in sorted(set(own) & set(state))
        if state[k].shape != own[k].shape
    ]
    problems = []
    for label, keys in (("missing", missing), ("unexpected", unexpected), ("misshapen", misshapen)):
        if keys:
            shown = ", ".join(keys[:4]) + (f" and {len(keys) - 4} more" if len(keys) > 4 else "")
            problems.append(f"{len(keys)} {label} ({shown})")
    if problems:
        raise CheckpointError(
            f"{what} does not fit {type(module).__name__}: " + "; ".join(problems)
        )
    module.load_state_dict(state)
    return module


def _state(source: str | os.PathLike[str] | StateDict) -> StateDict:
    return source if isinstance(source, Mapping) else read_state_dict(source)


def load_astrodino(
    source: str | os.PathLike[str] | StateDict, model: VisionTransformer | None = None
) -> VisionTransformer:
    """AstroDINO weights (a file or a state dict) in a ``VisionTransformer`` (default ViT-L/12)."""
    model = model or VisionTransformer(width=1024, depth=24, heads=16)
    return load_state_strictly(model, vit_from_dinov2(_state(source)), "the AstroDINO checkpoint")


def load_specformer(
    source: str | os.PathLike[str] | StateDict, model: SpecFormer | None = None
) -> SpecFormer:
    """Reference SpecFormer weights in a ``SpecFormer`` (default 768 wide, 6 blocks, 6 heads)."""
    model = model or SpecFormer(width=768, depth=6, heads=6)
    state = specformer_from_reference(_state(source))
    return load_state_strictly(model, state, "the SpecFormer checkpoint")


def load_astroclip(
    source: str | os.PathLike[str] | StateDict, model: AstroCLIP | None = None
) -> AstroCLIP:
    """Reference AstroCLIP weights (both backbones and heads) in an ``AstroCLIP`` (default: the
    paper's sizes, 1024-d embeddings)."""
    model = model or AstroCLIP("paper", "paper", embed_dim=1024)
    state = astroclip_from_reference(_state(source))
    state.setdefault("log_logit_scale", model.log_logit_scale.detach().clone())
    return load_state_strictly(model, state, "the AstroCLIP checkpoint")
