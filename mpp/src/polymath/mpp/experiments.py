"""The paper's comparisons at small scale: multi- against single-system training, and transfer."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt

from polymath.mpp.data.datamodule import MPPDataModule
from polymath.mpp.module import MPPModule
from polymath.mpp.plots import nrmse_bars, transfer_curves
from polymath.mpp.rollout import rollout_nrmse


def _fit_and_test(
    ctx: Any, module: MPPModule, datamodule: MPPDataModule, steps: int
) -> dict[str, float]:
    """Fits for ``steps`` optimizer steps without logging curves; returns the test metrics."""
    trainer = ctx.trainer(logger=False, max_steps=steps)
    trainer.fit(module, datamodule=datamodule)
    trainer.test(module, datamodule=datamodule, verbose=False)
    return {key: float(value) for key, value in trainer.callback_metrics.items()}


def single_vs_multi(ctx: Any, steps: int) -> dict[str, float]:
    """One model on all systems against one model per system, every model trained ``steps`` steps.

    Table 1's claim: the jointly trained model matches or beats the single-system ones.
    """
    data, model = ctx.config["data"], ctx.config["model"]
    datasets = list(data["datasets"])
    multi = _fit_and_test(ctx, MPPModule(**model), MPPDataModule(**data), steps)
    rows, results = [], {}
    for name in datasets:
        single = _fit_and_test(
            ctx, MPPModule(**model), MPPDataModule(**{**data, "datasets": [name]}), steps
        )
        row = {
            "system": name,
            "multi": multi[f"test/nrmse/{name}"],
            "single": single[f"test/nrmse/{name}"],
            "persistence": multi[f"test/persistence/{name}"],
        }
        rows.append(row)
        results.update({f"{kind}/{name}": row[kind] for kind in ("multi", "single", "persistence")})
    ctx.log_table(rows, "single_vs_multi")
    figure = nrmse_bars(rows, ["multi", "single", "persistence"], f"equal steps ({steps} each)")
    ctx.log_figure(figure, "single_vs_multi")
    plt.close(figure)
    ctx.log_metrics(results)
    return results


def transfer(
    ctx: Any,
    target: str,
    sizes: list[int],
    pretrain_steps: int,
    finetune_steps: int,
    finetune_lr: float = 1.0e-3,
    rollout_steps: int = 5,
) -> dict[str, float]:
    """Pretrain on the recipe's datasets, then finetune on ``target`` (held out, new fields) with
    ``sizes`` training trajectories, against the same model trained from scratch."""
    data, model = ctx.config["data"], ctx.config["model"]
    pretrain_module = MPPModule(**model)
    pretrained = _fit_and_test(ctx, pretrain_module, MPPDataModule(**data), pretrain_steps)
    checkpoint = pretrain_module.model.save(ctx.workdir / "pretrained.pt")
    rows, results = [], {"pretrain/test_nrmse": pretrained["test/nrmse"]}
    for size in sizes:
        target_data = {**data, "datasets": [target], "max_train_trajectories": size}
        for start in ("MPP finetuned", "scratch"):
            module = (
                MPPModule(**{**model, "lr": finetune_lr, "init_from": str(checkpoint)})
                if start == "MPP finetuned"
                else MPPModule(**model)
            )
            datamodule = MPPDataModule(**target_data)
            metrics = _fit_and_test(ctx, module, datamodule, finetune_steps)
            curve, _ = rollout_nrmse(
                module.model.eval(), datamodule.split("test")[0], rollout_steps
            )
            row = {
                "start": start,
                "trajectories": size,
                "one-step NRMSE": metrics[f"test/nrmse/{target}"],
                f"{rollout_steps}-step NRMSE": float(curve[-1].mean()),
            }
            rows.append(row)
            key = "finetuned" if start == "MPP finetuned" else "scratch"
            results[f"{key}/{size}/one_step"] = row["one-step NRMSE"]
            results[f"{key}/{size}/rollout"] = row[f"{rollout_steps}-step NRMSE"]
    ctx.log_table(rows, "transfer")
    figure = transfer_curves(
        rows, ["one-step NRMSE", f"{rollout_steps}-step NRMSE"], f"transfer to {target}"
    )
    ctx.log_figure(figure, "transfer")
    plt.close(figure)
    ctx.log_metrics(results)
    return results
