"""Downstream evaluation of embeddings: zero-shot k-NN and few-shot MLP regression, retrieval.

Both regressions follow the reference: a ``StandardScaler`` fitted on the training embeddings,
targets standardised with training statistics, R² per property. Zero-shot is
``KNeighborsRegressor(64, weights="distance")``; few-shot is an MLP (hidden 64, 64, ReLU, dropout
0.1, Adam 1e-3, batch 64, 10 epochs, MSE), one per target. Retrieval is ours (the paper shows it
only as pictures): for each query, the rank of its own partner among all candidates by cosine
similarity; in-modal, the partner is another view of the same galaxy (see ``experiments``).
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from sklearn.metrics import r2_score
from sklearn.neighbors import KNeighborsRegressor
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader

from polymath.astroclip.model import tokenize_spectra


def knn_predict(
    train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, k: int = 64
) -> np.ndarray:
    """A distance-weighted k-NN regressor's predictions, on standardised embeddings and target."""
    scaler = StandardScaler().fit(train_x)
    mean, std = train_y.mean(), train_y.std() + 1e-12
    knn = KNeighborsRegressor(n_neighbors=min(k, len(train_x)), weights="distance")
    knn.fit(scaler.transform(train_x), (train_y - mean) / std)
    return knn.predict(scaler.transform(test_x)) * std + mean


def knn_r2(
    train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray, k: int = 64
) -> float:
    """R² of ``knn_predict`` on the test set."""
    return float(r2_score(test_y, knn_predict(train_x, train_y, test_x, k)))


def mlp_r2(
    train_x: np.ndarray,
    train_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    hidden: tuple[int, ...] = (64, 64),
    epochs: int = 10,
    batch_size: int = 64,
    lr: float = 1.0e-3,
    dropout: float = 0.1,
    seed: int = 0,
) -> float:
    """R² of the reference's few-shot MLP on standardised embeddings and target."""
    generator = torch.Generator().manual_seed(seed)
    scaler = StandardScaler().fit(train_x)
    mean, std = train_y.mean(), train_y.std() + 1e-12
    x = torch.tensor(scaler.transform(train_x), dtype=torch.float32)
    y = torch.tensor((train_y - mean) / std, dtype=torch.float32)
    layers: list[torch.nn.Module] = []
    width = x.shape[1]
    for size in hidden:
        layers += [torch.nn.Linear(width, size), torch.nn.ReLU(), torch.nn.Dropout(dropout)]
        width = size
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        network = torch.nn.Sequential(*layers, torch.nn.Linear(width, 1))
    optimizer = torch.optim.Adam(network.parameters(), lr=lr)
    for _ in range(epochs):
        for rows in torch.randperm(len(x), generator=generator).split(batch_size):
            loss = torch.nn.functional.mse_loss(network(x[rows])[:, 0], y[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    network.eval()
    with torch.no_grad():
        test = torch.tensor(scaler.transform(test_x), dtype=torch.float32)
        predicted = network(test)[:, 0].numpy() * std + mean
    return float(r2_score(test_y, predicted))


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


def image_view(images: torch.Tensor) -> torch.Tensor:
    """Another view of the same preprocessed galaxies (B, 3, W, H): turned by 90° and flipped, a
    symmetry of the sky that a good image embedding should not see."""
    return images.rot90(1, (2, 3)).flip(3)


def spectrum_view(spectra: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Another noisy observation of the same spectra: Gaussian noise at each spectrum's per-pixel
    noise, estimated from the differences of adjacent pixels (so it works on real spectra too)."""
    sigma = spectra.diff(dim=1).std(1, keepdim=True) / 2**0.5
    noise = torch.randn(spectra.shape, generator=generator, dtype=spectra.dtype)
    return spectra + sigma * noise


@torch.no_grad()
def embed(
    model: torch.nn.Module, loader: DataLoader, views: bool = False, seed: int = 0
) -> dict[str, torch.Tensor]:
    """Aligned and unaligned embeddings of every batch: image/spectrum x aligned/backbone; with
    ``views``, also the aligned embeddings of another view of each galaxy (for in-modal
    retrieval)."""
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    out: dict[str, list[torch.Tensor]] = {}
    for batch in loader:
        images, spectra = batch["images"], batch["spectra"]
        spectrum_tokens = model.spectrum_encoder.hidden(tokenize_spectra(spectra))
        parts = {
            "image": model.embed_images(images),
            "spectrum": model.spectrum_head(spectrum_tokens),
            "image_backbone": model.image_encoder.embed(images),
            "spectrum_backbone": spectrum_tokens.mean(1),  # SpecFormer's own embedding
        }
        if views:
            parts["image_view"] = model.embed_images(image_view(images))
            parts["spectrum_view"] = model.embed_spectra(spectrum_view(spectra, generator))
        for name, value in parts.items():
            out.setdefault(name, []).append(value)
    return {k: torch.cat(v) for k, v in out.items()}


RETRIEVALS = (
    ("image", "spectrum"),
    ("spectrum", "image"),
    ("image_view", "image"),
    ("spectrum_view", "spectrum"),
)
"""Query and candidate embeddings: cross-modal both ways, then in-modal (another view)."""


def regression_table(
    train: dict[str, torch.Tensor],
    test: dict[str, torch.Tensor],
    train_targets: dict[str, np.ndarray],
    test_targets: dict[str, np.ndarray],
    k: int = 64,
) -> list[dict[str, float | str]]:
    """One row per method (zero-shot k-NN, few-shot MLP) and embedding: R² for every target,
    and the mean over the non-redshift ones."""
    methods = {"zero-shot": functools.partial(knn_r2, k=k), "few-shot": mlp_r2}
    rows = []
    for method, regressor in methods.items():
        for name in train:
            row: dict[str, float | str] = {"embedding": name, "method": method}
            for target in train_targets:
                row[target] = regressor(
                    train[name].numpy(),
                    train_targets[target],
                    test[name].numpy(),
                    test_targets[target],
                )
            properties = [v for t, v in row.items() if t not in ("embedding", "method", "redshift")]
            if properties:
                row["properties_mean"] = float(np.mean(properties))
            rows.append(row)
    return rows


def _vote_classifier(
    train_x: np.ndarray,
    train_votes: np.ndarray,
    hidden: tuple[int, ...],
    epochs: int,
    batch_size: int,
    dropout: float,
    lr: float,
    seed: int,
) -> torch.nn.Module:
    """An MLP trained by cross-entropy against vote fractions (soft labels)."""
    x = torch.tensor(train_x, dtype=torch.float32)
    y = torch.tensor(train_votes / train_votes.sum(1, keepdims=True), dtype=torch.float32)
    layers: list[torch.nn.Module] = []
    width = x.shape[1]
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        for size in hidden:
            layers += [torch.nn.Linear(width, size), torch.nn.ReLU(), torch.nn.Dropout(dropout)]
            width = size
        network = torch.nn.Sequential(*layers, torch.nn.Linear(width, y.shape[1]))
    optimizer = torch.optim.Adam(network.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for rows in torch.randperm(len(x), generator=generator).split(batch_size):
            loss = torch.nn.functional.cross_entropy(network(x[rows]), y[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return network.eval()


def morphology_accuracy(
    train_x: np.ndarray,
    train_votes: np.ndarray,
    test_x: np.ndarray,
    test_votes: np.ndarray,
    method: str = "zero-shot",
    k: int = 64,
    seed: int = 0,
) -> float:
    """Accuracy of one Galaxy Zoo question: the predicted answer (the largest predicted vote
    fraction) against the volunteers' majority answer, on galaxies that have votes for it.

    ``zero-shot``: distance-weighted k-NN average of the neighbours' vote fractions;
    ``few-shot``: the reference's MLP (3 x 128, ReLU, dropout 0.2, Adam 1e-3, batch 256,
    25 epochs, cross-entropy against the vote fractions). Embeddings standardised on the
    training set."""
    train_rows, test_rows = _voted(train_votes), _voted(test_votes)
    train_x, train_votes = train_x[train_rows], train_votes[train_rows]
    test_x, truth = test_x[test_rows], test_votes[test_rows].argmax(1)
    if method == "zero-shot":
        scaler = StandardScaler().fit(train_x)
        knn = KNeighborsRegressor(n_neighbors=min(k, len(train_x)), weights="distance")
        knn.fit(scaler.transform(train_x), train_votes)
        predicted = knn.predict(scaler.transform(test_x)).argmax(1)
    elif method == "few-shot":
        scaler = StandardScaler().fit(train_x)
        network = _vote_classifier(
            scaler.transform(train_x), train_votes, (128, 128, 128), 25, 256, 0.2, 1.0e-3, seed
        )
        with torch.no_grad():
            scores = network(torch.tensor(scaler.transform(test_x), dtype=torch.float32))
        predicted = scores.argmax(1).numpy()
    else:
        raise ValueError(f"method must be zero-shot or few-shot, got {method!r}")
    return float((predicted == truth).mean())


def _voted(votes: np.ndarray) -> np.ndarray:
    """Rows whose question was reached (finite fractions, some votes)."""
    return np.isfinite(votes).all(1) & (np.nan_to_num(votes).sum(1) > 0)


def majority_accuracy(train_votes: np.ndarray, test_votes: np.ndarray) -> float:
    """Accuracy of always answering the training set's most common majority answer."""
    common = np.bincount(train_votes[_voted(train_votes)].argmax(1)).argmax()
    return float((test_votes[_voted(test_votes)].argmax(1) == common).mean())


def morphology_table(
    train: dict[str, torch.Tensor],
    test: dict[str, torch.Tensor],
    train_votes: dict[str, np.ndarray],
    test_votes: dict[str, np.ndarray],
    embeddings: tuple[str, ...] = ("image", "image_backbone"),
    k: int = 64,
) -> list[dict[str, float | str]]:
    """One row per method and image embedding (and the majority-answer baseline): accuracy per
    Galaxy Zoo question and their mean, the paper's morphology figure. Questions that no
    training or no test galaxy reached are left out."""
    questions = [
        q for q in train_votes if _voted(train_votes[q]).any() and _voted(test_votes[q]).any()
    ]
    train_votes = {q: train_votes[q] for q in questions}
    rows: list[dict[str, float | str]] = [
        {
            "embedding": "none",
            "method": "majority answer",
            **{q: majority_accuracy(train_votes[q], test_votes[q]) for q in train_votes},
        }
    ]
    for method in ("zero-shot", "few-shot"):
        for name in embeddings:
            row: dict[str, float | str] = {"embedding": name, "method": method}
            for question in train_votes:
                row[question] = morphology_accuracy(
                    train[name].numpy(),
                    train_votes[question],
                    test[name].numpy(),
                    test_votes[question],
                    method,
                    k,
                )
            rows.append(row)
    for row in rows:
        row["mean"] = float(np.mean([row[q] for q in questions])) if questions else float("nan")
    return rows
