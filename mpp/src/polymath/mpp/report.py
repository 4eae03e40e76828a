"""Figures and tables after a fit: what the model predicts, per system, against persistence."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import torch

from polymath.mpp.data.datamodule import MPPDataModule
from polymath.mpp.module import MPPModule
from polymath.mpp.plots import nrmse_bars, prediction_figure, rollout_curves, rollout_gif
from polymath.mpp.rollout import rollout, rollout_nrmse

ROLLOUT_STEPS = 10


def report(ctx: Any, module: MPPModule, datamodule: MPPDataModule) -> None:
    """Logs prediction/truth/error per system, NRMSE bars and rollout curves against persistence."""
    model = module.model.eval()
    rows, curves = [], {}
    for dataset in datamodule.split("test"):
        name, fields = dataset.spec.name, dataset.spec.fields
        item = dataset[0]
        with torch.no_grad():
            pred = model(item["x"][None], item["fields"], item["bcs"][None])[0]
        figure = prediction_figure(pred.numpy(), item["y"].numpy(), fields, f"{name}: one step")
        ctx.log_figure(figure, f"prediction_{name}")
        plt.close(figure)
        steps = min(ROLLOUT_STEPS, dataset.files[0].n_frames - dataset.history)
        model_curve, persistence_curve = rollout_nrmse(model, dataset, steps, max_trajectories=16)
        curves[name] = {
            "AViT": model_curve.mean(-1).numpy(),
            "persistence": persistence_curve.mean(-1).numpy(),
        }
        rows.append(
            {
                "system": name,
                "AViT": float(model_curve[0].mean()),
                "persistence": float(persistence_curve[0].mean()),
                f"AViT {steps}-step": float(model_curve[-1].mean()),
            }
        )
    ctx.log_table(rows, "one_step_nrmse")
    for figure, title in (
        (nrmse_bars(rows, ["AViT", "persistence"], "AViT against persistence"), "nrmse_bars"),
        (rollout_curves(curves, "rollout error"), "rollout_nrmse"),
    ):
        ctx.log_figure(figure, title)
        plt.close(figure)
    _log_rollout_gif(ctx, model, datamodule)


def _log_rollout_gif(ctx: Any, model: torch.nn.Module, datamodule: MPPDataModule) -> None:
    """One GIF: the first test trajectory of every system, rolled out from its first frames."""
    logger = getattr(ctx, "logger", None)
    if logger is None:
        return
    panels = []
    for dataset in datamodule.split("test"):
        frames = dataset.trajectory(0)
        steps = len(frames) - dataset.history
        predicted = rollout(
            model, frames[None, : dataset.history], dataset.slots, dataset.bcs[None], steps
        )[0]
        title = f"{dataset.spec.name} {dataset.spec.fields[0]}"
        panels.append((title, predicted[:, 0].numpy(), frames[dataset.history :, 0].numpy()))
    with tempfile.TemporaryDirectory() as folder:
        path = rollout_gif(panels, Path(folder) / "rollout.gif")
        logger.experiment.log_artifact(logger.run_id, str(path), "figures")
