"""Interpretability measurements on a trained model: bias tokens and contextual position."""

from __future__ import annotations

import torch

from polymath.counting_transformers.data import VOCAB
from polymath.counting_transformers.model import CountingTransformer

SHARES = ("bos", "close", "open", "region_ones", "other")


def region_index(tokens: torch.Tensor, spans: torch.Tensor) -> torch.Tensor:
    """(batch, length) index of the region each token lies strictly inside, -1 outside regions."""
    positions = torch.arange(tokens.shape[1], device=tokens.device)
    inside = (positions[None, None, :] > spans[..., :1]) & (
        positions[None, None, :] < spans[..., 1:]
    )
    inside &= spans[..., :1] >= 0
    index = torch.full(tokens.shape, -1, dtype=torch.long, device=tokens.device)
    for region in range(spans.shape[1]):
        index[inside[:, region]] = region
    return index


@torch.no_grad()
def attention_shares(
    model: CountingTransformer, batch: dict[str, torch.Tensor]
) -> dict[str, float]:
    """Mean share of the last decoder cross-attention on BOS, on ``]``, on ``[``, on the 1s of the
    queried region and on everything else, over every real query of the batch."""
    tokens, queries, mask = batch["tokens"], batch["queries"], batch["query_mask"]
    _, maps = model(tokens, queries, mask, return_attention=True)
    probs = maps["decoder_cross"][-1].mean(dim=1)  # (batch, regions, length)
    regions = region_index(tokens, batch["spans"])
    own_ones = (regions[:, None, :] == queries[:, :, None]) & (tokens == VOCAB["1"])[:, None, :]
    per_query = {
        "bos": probs[..., 0],
        "close": (probs * (tokens == VOCAB["]"])[:, None, :]).sum(-1),
        "open": (probs * (tokens == VOCAB["["])[:, None, :]).sum(-1),
        "region_ones": (probs * own_ones).sum(-1),
    }
    per_query["other"] = 1.0 - sum(per_query.values())
    return {name: float(value[mask].mean()) for name, value in per_query.items()}


@torch.no_grad()
def one_token_pca(
    model: CountingTransformer, batch: dict[str, torch.Tensor], components: int = 2
) -> tuple[torch.Tensor, torch.Tensor]:
    """Encoder outputs of every 1-token projected on their top principal components, and the
    region each token lies in (-1 for distractors)."""
    tokens = batch["tokens"]
    encoded = model.encode(tokens)
    ones = tokens == VOCAB["1"]
    points = encoded[ones]
    labels = region_index(tokens, batch["spans"])[ones]
    centred = points - points.mean(dim=0)
    _, _, basis = torch.linalg.svd(centred, full_matrices=False)
    return centred @ basis[:components].T, labels
