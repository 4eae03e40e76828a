"""The symmetric CLIP (InfoNCE) loss between image and spectrum embeddings."""

from __future__ import annotations

import torch
from torch.nn import functional as F


def clip_loss(
    image: torch.Tensor, spectrum: torch.Tensor, logit_scale: torch.Tensor | float
) -> torch.Tensor:
    """Mean of the image->spectrum and spectrum->image cross-entropies over cosine similarities
    times ``logit_scale``; the i-th image and i-th spectrum are the positive pair. Embeddings are
    L2-normalised with eps 1e-3, as the reference does."""
    image = F.normalize(image, dim=-1, eps=1e-3)
    spectrum = F.normalize(spectrum, dim=-1, eps=1e-3)
    logits = logit_scale * image @ spectrum.T
    targets = torch.arange(len(logits), device=logits.device)
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2
