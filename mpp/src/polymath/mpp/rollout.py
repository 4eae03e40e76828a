"""Autoregressive rollout with a sliding window of history frames, and its error against time."""

from __future__ import annotations

import torch
from torch import Tensor

from polymath.foundation.metrics import per_sample_nrmse
from polymath.mpp.data.windows import WindowDataset
from polymath.mpp.model import AViT


@torch.no_grad()
def rollout(model: AViT, history: Tensor, fields: Tensor, bcs: Tensor | None, steps: int) -> Tensor:
    """``steps`` predictions (B, steps, C, H, W), each fed back as the newest history frame."""
    window = history
    predictions = []
    for _ in range(steps):
        frame = model(window, fields, bcs)
        predictions.append(frame)
        window = torch.cat([window[:, 1:], frame[:, None]], dim=1)
    return torch.stack(predictions, dim=1)


@torch.no_grad()
def rollout_nrmse(
    model: AViT,
    dataset: WindowDataset,
    steps: int,
    max_trajectories: int | None = None,
    batch_size: int = 8,
) -> tuple[Tensor, Tensor]:
    """NRMSE per rollout step (steps, fields) of the model and of persistence, over the split's
    trajectories, each started from its first ``history`` frames."""
    history = dataset.history
    frames_needed = history + steps
    positions = list(range(len(dataset.trajectories)))[:max_trajectories]
    device = next(model.parameters()).device
    model_errors, persistence_errors = [], []
    for start in range(0, len(positions), batch_size):
        chunk = positions[start : start + batch_size]
        trajectories = torch.stack([dataset.trajectory(p, 0, frames_needed) for p in chunk]).to(
            device
        )
        if trajectories.shape[1] < frames_needed:
            raise ValueError(
                f"{dataset.spec.name}: trajectories have {trajectories.shape[1]} frames, "
                f"a {steps}-step rollout after {history} history frames needs {frames_needed}"
            )
        bcs = dataset.bcs.to(device).expand(len(chunk), 2)
        predicted = rollout(model, trajectories[:, :history], dataset.slots.to(device), bcs, steps)
        truth = trajectories[:, history:]
        persistence = trajectories[:, history - 1 : history].expand_as(truth)
        model_errors.append(_per_step(predicted, truth))
        persistence_errors.append(_per_step(persistence, truth))
    return torch.cat(model_errors).mean(0), torch.cat(persistence_errors).mean(0)


def _per_step(pred: Tensor, truth: Tensor) -> Tensor:
    """(B, steps, fields) NRMSE for (B, steps, C, H, W) tensors."""
    b, s = pred.shape[:2]
    ratio = per_sample_nrmse(pred.flatten(0, 1), truth.flatten(0, 1))
    return ratio.reshape(b, s, -1)
