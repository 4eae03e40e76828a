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
    """Logs prediction/truth/error per system, the test NRMSE per system against persistence (a
    table and bars), rollout error curves and a rollout GIF."""
    model = module.model.eval()
    tested = module.trainer.callback_metrics
    one_step, rolled, curves = [], [], {}
    for dataset in datamodule.split("test"):
        name, fields = dataset.spec.name, dataset.spec.fields
        item = dataset[0]
        with torch.no_grad():
            pred = model(item["x"][None], item["fields"], item["bcs"][None])[0]
        figure = prediction_figure(pred.numpy(), item["y"].numpy(), fields, f"{name}: one step")
        ctx.log_figure(figure, f"prediction_{name}")
        plt.close(figure)
        if f"test/nrmse/{name}" in tested:
            one_step.append(
                {
                    "system": name,
                    "AViT": float(tested[f"test/nrmse/{name}"]),
                    "persistence": float(tested[f"test/persistence/{name}"]),
                }
            )
        steps = min(ROLLOUT_STEPS, dataset.files[0].n_frames - dataset.history)
        model_curve, persistence_curve = rollout_nrmse(model, dataset, steps, max_trajectories=16)
        curves[name] = {
            "AViT": model_curve.mean(-1).numpy(),
            "persistence": persistence_curve.mean(-1).numpy(),
        }
        rolled.append(
            {
                "system": name,
                "AViT step 1": float(model_curve[0].mean()),
                f"AViT step {steps}": float(model_curve[-1].mean()),
                f"persistence step {steps}": float(persistence_curve[-1].mean()),
            }
        )
    ctx.log_table(rolled, "rollout_nrmse")
    figures = [
        (rollout_curves(curves, "rollout from each test trajectory's start"), "rollout_nrmse")
    ]
    if one_step:
        ctx.log_table(one_step, "one_step_nrmse")
        bars = nrmse_bars(one_step, ["AViT", "persistence"], "one step, every test window")
        figures.append((bars, "nrmse_bars"))
    for figure, title in figures:
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
