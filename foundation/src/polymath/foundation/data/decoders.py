"""Decoders of tar members by file extension, extensible by any package: `register_decoder`.

Built in: .npy (checked here, stacked per batch), .txt, .cls, .json, and images (.png, .jpg,
.jpeg through Pillow, as uint8 tensors of shape (H, W) or (H, W, C)). A member whose extension
has no decoder comes back as raw bytes.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch

from polymath.foundation.data.encoding import NpyPayload

Decoder = Callable[[bytes], Any]


def _image(data: bytes) -> torch.Tensor:
    try:
        from PIL import Image
    except ImportError as exn:  # Pillow is optional: only image shards need it
        raise ImportError("decoding images needs Pillow: pip install pillow") from exn
    with Image.open(io.BytesIO(data)) as image:
        return torch.from_numpy(np.array(image))


def _text(data: bytes) -> str:
    return data.decode("utf-8")


_DECODERS: dict[str, Decoder] = {
    "npy": NpyPayload,
    "txt": _text,
    "cls": int,
    "json": json.loads,
    "png": _image,
    "jpg": _image,
    "jpeg": _image,
}


def _normalise(extension: str) -> str:
    name = extension.lower().lstrip(".")
    if not name or "." in name or "/" in name:
        raise ValueError(f"extension {extension!r} must be one name such as '.png'")
    return name


def register_decoder(extension: str, decode: Decoder, *, replace: bool = False) -> None:
    """Decode members ending in `extension` (e.g. ".fits") with `decode(bytes) -> value`.

    Datasets take a copy of the registry when they are built, so register before building them;
    `decode` should be a module-level function so that DataLoader workers can unpickle it.
    Replacing an extension that already has a decoder needs `replace=True`.
    """
    name = _normalise(extension)
    if not callable(decode):
        raise TypeError(f"decoder for .{name} must be callable, got {type(decode).__name__}")
    if name in _DECODERS and not replace:
        raise ValueError(f".{name} already has a decoder; pass replace=True to replace it")
    _DECODERS[name] = decode


def registered_decoders() -> dict[str, Decoder]:
    """A copy of the registry: extension (without dot) -> decoder."""
    return dict(_DECODERS)


def decoder_for(decoders: Mapping[str, Decoder], extension: str) -> Decoder | None:
    """The decoder of an extension; None when there is none (the member stays raw bytes)."""
    return decoders.get(extension.lower())
