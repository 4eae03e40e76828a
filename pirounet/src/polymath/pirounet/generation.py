"""PirouNet's conditional generation by high-density latent tiles (for an entangled latent space).

Per label k: centre the encoder means of the labelled training windows on label k's mean, fit a
2-D PCA to label k's centred means, project every labelled mean into that plane and tile
[-extent, extent]^2 with squares of side ``tile_sizes[k]``. A tile is high-density when label k's
share of its windows exceeds ``shares[k]`` and it holds more than ``counts[k]`` windows of label k.
A sample is a uniform point in a random high-density tile, mapped back through the PCA to the
latent space around label k's centre and decoded with label k.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from polymath.pirounet.model import PirouNet

TILE_SIZES = (0.1, 0.2, 0.4)  # the reference's, per label (low, medium, high Time effort)
SHARES = (0.8, 0.75, 0.75)
COUNTS = (3, 3, 1)


@dataclass(frozen=True)
class LabelTiles:
    """One label's plane (centre (d,), axes (2, d)) and the lower corners of its dense tiles."""

    centre: np.ndarray
    axes: np.ndarray
    corners: np.ndarray
    size: float


def fit_density_tiles(
    latents: np.ndarray, labels: np.ndarray, tile_sizes=TILE_SIZES, shares=SHARES, counts=COUNTS,
    extent: float = 8.0,
) -> list[LabelTiles]:  # fmt: skip
    """The high-density tiles of every label (an empty ``corners`` where there is none)."""
    tiles = []
    for k, (size, share, count) in enumerate(zip(tile_sizes, shares, counts)):
        own = latents[labels == k]
        if len(own) < 2:  # too few labelled windows for a plane: no dense tile
            d = latents.shape[1]
            tiles.append(LabelTiles(np.zeros(d), np.zeros((2, d)), np.zeros((0, 2)), size))
            continue
        centre = own.mean(0)
        _, _, vt = np.linalg.svd(own - centre, full_matrices=False)
        axes = vt[:2]
        plane = (latents - centre) @ axes.T
        inside = np.all(np.abs(plane) < extent, axis=1)
        cells = np.floor((plane[inside] + extent) / size).astype(np.int64)
        keys, inverse = np.unique(cells, axis=0, return_inverse=True)
        total = np.bincount(inverse.ravel(), minlength=len(keys))
        mine = np.bincount(inverse.ravel(), weights=labels[inside] == k, minlength=len(keys))
        dense = (mine / total > share) & (mine > count)
        tiles.append(LabelTiles(centre, axes, keys[dense] * size - extent, size))
    return tiles


@torch.no_grad()
def sample_conditional(
    model: PirouNet, tiles: list[LabelTiles], label: int, n: int, seed: int = 0,
) -> tuple[torch.Tensor, bool]:  # fmt: skip
    """``n`` windows generated for ``label`` from its dense tiles; falls back to z ~ N(0, I) when
    the label has none, and says so (second value True)."""
    rng = np.random.default_rng(seed)
    chosen = tiles[label]
    y = torch.full((n,), label)
    if len(chosen.corners) == 0:
        return model.generate(y, torch.Generator().manual_seed(seed)), True
    corners = chosen.corners[rng.integers(len(chosen.corners), size=n)]
    plane = corners + rng.uniform(0, chosen.size, size=(n, 2))
    z = torch.as_tensor(chosen.centre + plane @ chosen.axes, dtype=torch.float32)
    return model.decode(z, y), False
