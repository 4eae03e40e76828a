"""PirouNet's evaluation: feature-space metrics of generated dance (Action2Motion style), the
recognition of conditioned generation, the entanglement test, and the latent PCA.

Features are the penultimate activations of a separately trained effort classifier; distances
between windows in that space stand in for perceptual differences.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import linalg

from polymath.pirounet.model import EffortClassifier, PirouNet


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """FID between two sets of features (n, d): |mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^1/2)."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root, _ = linalg.sqrtm(cov_a @ cov_b, disp=False)
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * root.real))


def diversity(features: np.ndarray, pairs: int = 200, seed: int = 0) -> float:
    """Mean distance between ``pairs`` random pairs of windows."""
    rng = np.random.default_rng(seed)
    i, j = rng.integers(len(features), size=(2, pairs))
    return float(np.linalg.norm(features[i] - features[j], axis=-1).mean())


def multimodality(
    features: np.ndarray, labels: np.ndarray, pairs: int = 70, seed: int = 0
) -> float:
    """Mean distance between ``pairs`` random pairs of windows with the same label, over labels."""
    rng = np.random.default_rng(seed)
    per_label = []
    for k in np.unique(labels):
        same = features[labels == k]
        i, j = rng.integers(len(same), size=(2, pairs))
        per_label.append(np.linalg.norm(same[i] - same[j], axis=-1).mean())
    return float(np.mean(per_label))


@torch.no_grad()
def recognition(
    classifier: EffortClassifier, windows: torch.Tensor, labels: torch.Tensor
) -> np.ndarray:
    """Row-normalised confusion of conditioning label (rows) against the feature classifier's call
    (columns); its diagonal is the share of sequences generated for k that are recognised as k."""
    called = classifier(windows).argmax(-1)
    n = classifier.head.out_features
    counts = torch.zeros(n, n).index_put_(
        (labels, called), torch.ones(len(labels)), accumulate=True
    )
    return (counts / counts.sum(1, keepdim=True).clamp(min=1)).numpy()


@torch.no_grad()
def entanglement(model: PirouNet, n: int = 64, seed: int = 0) -> tuple[float, float]:
    """The same z decoded with every label, against different z with the same label: the mean
    marker distance between decodings that differ only in the label, and between decodings that
    differ only in z. A disentangled label moves the dance as much as z does (ratio near 1 or
    more); a label the decoder ignores gives a ratio near 0."""
    generator = torch.Generator().manual_seed(seed)
    z = torch.randn(n, model.latent, generator=generator)
    decoded = torch.stack([model.decode(z, torch.full((n,), k)) for k in range(model.n_labels)])

    def distance(a: torch.Tensor, b: torch.Tensor) -> float:
        return float((a - b).unflatten(-1, (-1, 3)).norm(dim=-1).mean())

    across_labels = np.mean([distance(decoded[i], decoded[j]) for i in range(model.n_labels)
                             for j in range(i + 1, model.n_labels)])  # fmt: skip
    across_z = np.mean([distance(decoded[k], decoded[k].roll(1, 0)) for k in range(model.n_labels)])
    return float(across_labels), float(across_z)


@torch.no_grad()
def latent_means(model: PirouNet, windows: torch.Tensor, labels: torch.Tensor) -> np.ndarray:
    """Encoder means of labelled windows (n, latent)."""
    return model.encode(windows, labels)[0].numpy()


def principal_components(
    latents: np.ndarray, k: int = 10
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre, the first ``k`` principal axes (k, d) and their explained-variance ratios."""
    centre = latents.mean(0)
    _, s, vt = np.linalg.svd(latents - centre, full_matrices=False)
    ratio = s**2 / (s**2).sum()
    return centre, vt[:k], ratio[:k]
