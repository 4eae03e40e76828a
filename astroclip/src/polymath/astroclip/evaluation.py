"""Downstream evaluation of embeddings: zero-shot k-NN regression and retrieval.

Zero-shot follows the reference: a ``StandardScaler`` fitted on the training embeddings, targets
standardised with training statistics, ``KNeighborsRegressor(64, weights="distance")``, R² per
property. Retrieval is ours (the paper shows it only as pictures): for each query, the rank of its
own partner among all candidates by cosine similarity.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.metrics import r2_score
from sklearn.neighbors import KNeighborsRegressor
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader


def knn_r2(
    train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray, k: int = 64
) -> float:
    """R² of a distance-weighted k-NN regressor on standardised embeddings and target."""
    scaler = StandardScaler().fit(train_x)
    mean, std = train_y.mean(), train_y.std() + 1e-12
    knn = KNeighborsRegressor(n_neighbors=min(k, len(train_x)), weights="distance")
    knn.fit(scaler.transform(train_x), (train_y - mean) / std)
    return float(r2_score(test_y, knn.predict(scaler.transform(test_x)) * std + mean))


def retrieval_ranks(queries: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
    """Rank (1 = best) of candidate i for query i under cosine similarity."""
    queries = torch.nn.functional.normalize(queries, dim=-1)
    candidates = torch.nn.functional.normalize(candidates, dim=-1)
    similarity = queries @ candidates.T
    own = similarity.diagonal().unsqueeze(1)
    return (similarity > own).sum(1) + 1


def retrieval_metrics(queries: torch.Tensor, candidates: torch.Tensor) -> dict[str, float]:
    """Recall@1, recall@10 and median rank of the true partner, with their chance values."""
    ranks = retrieval_ranks(queries, candidates).float()
    n = len(ranks)
    return {
        "recall@1": (ranks <= 1).float().mean().item(),
        "recall@10": (ranks <= 10).float().mean().item(),
        "median_rank": ranks.median().item(),
        "chance_recall@1": 1 / n,
        "chance_recall@10": min(10, n) / n,
        "chance_median_rank": (n + 1) / 2,
    }


@torch.no_grad()
def embed(model: torch.nn.Module, loader: DataLoader) -> dict[str, torch.Tensor]:
    """Aligned and unaligned embeddings of every batch: image/spectrum x aligned/backbone."""
    model.eval()
    out: dict[str, list[torch.Tensor]] = {
        "image": [],
        "spectrum": [],
        "image_backbone": [],
        "spectrum_backbone": [],
    }
    for batch in loader:
        out["image"].append(model.embed_images(batch["images"]))
        out["spectrum"].append(model.embed_spectra(batch["spectra"]))
        out["image_backbone"].append(model.image_encoder.embed(batch["images"]))
        out["spectrum_backbone"].append(model.spectrum_encoder.embed(batch["spectra"]))
    return {k: torch.cat(v) for k, v in out.items()}


def zero_shot_table(
    train: dict[str, torch.Tensor],
    test: dict[str, torch.Tensor],
    train_targets: dict[str, np.ndarray],
    test_targets: dict[str, np.ndarray],
    k: int = 64,
) -> list[dict[str, float | str]]:
    """One row per embedding: k-NN R² for every target, and the mean over the non-redshift ones."""
    rows = []
    for name in train:
        row: dict[str, float | str] = {"embedding": name}
        for target in train_targets:
            row[target] = knn_r2(
                train[name].numpy(),
                train_targets[target],
                test[name].numpy(),
                test_targets[target],
                k,
            )
        properties = [v for t, v in row.items() if t not in ("embedding", "redshift")]
        if properties:
            row["properties_mean"] = float(np.mean(properties))
        rows.append(row)
    return rows
