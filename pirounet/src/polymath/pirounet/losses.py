"""The M2 objective: labelled bound L(x, y), unlabelled bound U(x), and the classification term."""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch.nn import functional as F

from polymath.pirounet.model import PirouNet

KLConvention = Literal["reference", "standard"]


def kl_divergence(
    mean: torch.Tensor, log_var: torch.Tensor, convention: KLConvention
) -> torch.Tensor:
    """KL(q(z|x,y) || N(0, I)) per sample, summed over latent dimensions.

    ``standard`` is the true KL, -1/2 sum(1 + log s^2 - m^2 - s^2). ``reference`` is PirouNet's code:
    the same sum without the 1/2, i.e. twice the KL.
    """
    terms = 1 + log_var - mean.pow(2) - log_var.exp()
    return -(0.5 if convention == "standard" else 1.0) * terms.sum(dim=-1)


def labelled_loss(
    model: PirouNet, x: torch.Tensor, y: torch.Tensor, convention: KLConvention,
    kl_weight: float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
    """-L(x, y) per sample: MSE (mean over frames and features) + log n_labels (uniform prior on y)
    + kl_weight * KL. Also returns the reconstructions."""
    reconstruction, mean, log_var = model(x, y)
    mse = (reconstruction - x).pow(2).mean(dim=(1, 2))
    kl = kl_divergence(mean, log_var, convention)
    return mse + math.log(model.n_labels) + kl_weight * kl, reconstruction


def unlabelled_loss(
    model: PirouNet, x: torch.Tensor, convention: KLConvention, kl_weight: float = 1.0
) -> torch.Tensor:
    """-U(x) per sample: every label enumerated, sum_y q(y|x) (-L(x, y)) - H(q(y|x))."""
    log_q = F.log_softmax(model.classify(x), dim=-1)
    q = log_q.exp()
    per_label = torch.stack(
        [labelled_loss(model, x, torch.full_like(log_q[:, 0], k, dtype=torch.long), convention,
                       kl_weight)[0] for k in range(model.n_labels)], dim=-1,
    )  # fmt: skip
    entropy = -(q * log_q).sum(dim=-1)
    return (q * per_label).sum(dim=-1) - entropy


def alpha_from_batches(
    n_unlabelled_batches: int, n_labelled_batches: int, scale: float = 0.1
) -> float:
    """The weight of the classification term: Kingma's 0.1 N in PirouNet's per-batch form,
    0.1 x (unlabelled batches / labelled batches) per epoch."""
    if n_labelled_batches < 1 or n_unlabelled_batches < 1:
        raise ValueError("alpha needs at least one labelled and one unlabelled batch")
    return scale * n_unlabelled_batches / n_labelled_batches


def average_joint_distance(x: torch.Tensor, reconstruction: torch.Tensor) -> torch.Tensor:
    """AJD: the mean Euclidean distance between true and reconstructed markers over joints and frames."""
    difference = (x - reconstruction).unflatten(-1, (-1, 3))
    return difference.norm(dim=-1).mean()
