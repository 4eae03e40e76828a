"""A fast toy sampler of boosted jets with the physics a tagger can learn: 3 prongs against 2.

Tops: a 173 GeV mass decaying to three partons (isotropic in its rest frame), boosted to pT ≈ 600
GeV. QCD: a two-parton splitting with a falling jet mass (10 GeV plus an exponential of mean 40). Each parton then splits into a few
near-collinear massless constituents. For unit tests and the smoke recipe; the recipes that report
physics use Pythia jets (``pythia.py``).
"""

from __future__ import annotations

import numpy as np

TOP_MASS = 173.0


def _two_body_directions(rng: np.random.Generator, n: int) -> np.ndarray:
    cos = rng.uniform(-1, 1, n)
    phi = rng.uniform(0, 2 * np.pi, n)
    sin = np.sqrt(1 - cos**2)
    return np.stack([sin * np.cos(phi), sin * np.sin(phi), cos], -1)


def _boost(p: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Boosts 4-vectors p (..., k, 4) by velocity beta (..., 3)."""
    b2 = (beta**2).sum(-1, keepdims=True)
    gamma = 1 / np.sqrt(1 - b2)
    bp = (beta[..., None, :] * p[..., 1:]).sum(-1, keepdims=True)
    energy = gamma[..., None, :] * (p[..., :1] + bp)
    factor = np.where(b2 > 0, (gamma - 1) / np.maximum(b2, 1e-300), 0.0)[..., None, :]
    space = (
        p[..., 1:]
        + factor * bp * beta[..., None, :]
        + gamma[..., None, :] * beta[..., None, :] * p[..., :1]
    )
    return np.concatenate([energy, space], -1)


def _prongs(rng: np.random.Generator, jets: int, mass: np.ndarray, count: int) -> np.ndarray:
    """``count`` massless partons sharing a rest-frame mass, as (jets, count, 4) in the rest frame."""
    if count == 2:  # a hard splitting q -> q g carries the QCD jet's mass
        direction = _two_body_directions(rng, jets)
        parton = np.concatenate([mass[:, None] / 2, mass[:, None] / 2 * direction], -1)
        return np.stack([parton, parton * np.array([1, -1, -1, -1])], 1)
    # three-body: split the mass into an intermediate (the W for tops) and a recoiling parton
    w_mass = np.minimum(80.4 + rng.normal(0, 2, jets), 0.9 * mass)
    p_star = (mass**2 - w_mass**2) / (2 * mass)
    direction = _two_body_directions(rng, jets)
    b = np.concatenate([p_star[:, None], p_star[:, None] * direction], -1)
    w_energy = np.sqrt(w_mass**2 + p_star**2)
    w = np.concatenate([w_energy[:, None], -p_star[:, None] * direction], -1)
    q_direction = _two_body_directions(rng, jets)
    q = np.concatenate([w_mass[:, None] / 2, w_mass[:, None] / 2 * q_direction], -1)
    q_pair = np.stack([q, q * np.array([1, -1, -1, -1])], 1)
    q_pair = _boost(q_pair, w[:, 1:] / w[:, :1])
    return np.concatenate([b[:, None], q_pair], 1)


def toy_jets(
    jets: int, max_constituents: int = 30, seed: int = 0, pt: float = 600.0
) -> tuple[np.ndarray, np.ndarray]:
    """(jets, max_constituents, 4) constituents sorted by pT, zero-padded, and labels (half tops)."""
    rng = np.random.default_rng(seed)
    labels = (np.arange(jets) % 2).astype(np.int64)
    rng.shuffle(labels)
    out = np.zeros((jets, max_constituents, 4), np.float64)
    for label, prongs in ((1, 3), (0, 2)):
        index = np.flatnonzero(labels == label)
        k = len(index)
        mass = TOP_MASS + rng.normal(0, 8, k) if label else rng.exponential(40.0, k) + 10
        rest = _prongs(rng, k, mass, prongs)
        jet_pt = pt * (1 + 0.08 * rng.standard_normal(k))
        eta, phi = rng.uniform(-1.5, 1.5, k), rng.uniform(-np.pi, np.pi, k)
        transverse_mass = np.sqrt(jet_pt**2 + mass**2)
        momentum = np.stack(
            [jet_pt * np.cos(phi), jet_pt * np.sin(phi), transverse_mass * np.sinh(eta)], -1
        )
        energy = np.sqrt((momentum**2).sum(-1) + mass**2)
        partons = _boost(rest, momentum / energy[:, None])
        per_parton = max_constituents // prongs
        shares = rng.dirichlet(np.full(per_parton, 0.7), (k, prongs))  # (k, prongs, m)
        smear = 1 + 0.02 * rng.standard_normal((k, prongs, per_parton, 3))
        constituents = partons[:, :, None, 1:] * shares[..., None] * smear
        constituents = constituents.reshape(k, prongs * per_parton, 3)
        energies = np.linalg.norm(constituents, axis=-1, keepdims=True)
        constituents = np.concatenate([energies, constituents], -1)
        order = np.argsort(-np.hypot(constituents[..., 1], constituents[..., 2]), axis=1)
        constituents = np.take_along_axis(constituents, order[..., None], 1)
        out[index, : constituents.shape[1]] = constituents
    return out.astype(np.float32), labels
