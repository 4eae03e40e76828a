"""The paper's comparisons at small scale: multi- against single-system training, and transfer.

Every model of an experiment starts from the same seed (so models of one architecture start from
the same weights) and is tested on the same test split of each system.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
from lightning import seed_everything

from polymath.mpp.data.datamodule import MPPDataModule
from polymath.mpp.module import MPPModule
from polymath.mpp.plots import nrmse_bars, rollout_curves, transfer_curves
from polymath.mpp.rollout import rollout_nrmse


def seeded_module(ctx: Any, **overrides: Any) -> MPPModule:
    """The recipe's module, built right after seeding, so every model starts the same way."""
    seed_everything(ctx.trainer_config.seed, verbose=False)
    return MPPModule(**{**ctx.config["model"], **overrides})


def _fit_and_test(
    ctx: Any, module: MPPModule, datamodule: MPPDataModule, steps: int
) -> dict[str, float]:
    """Fits for ``steps`` optimizer steps without logging curves; returns the test metrics."""
    trainer = ctx.trainer(logger=False, max_steps=steps)
    trainer.fit(module, datamodule=datamodule)
    trainer.test(module, datamodule=datamodule, verbose=False)
    return {key: float(value) for key, value in trainer.callback_metrics.items()}


def _log_figure(ctx: Any, figure: plt.Figure, name: str) -> None:
    ctx.log_figure(figure, name)
    plt.close(figure)


def single_vs_multi(ctx: Any, steps: int, exposure_matched: bool = True) -> dict[str, float]:
    """One model on all systems against one model per system, each trained ``steps`` steps.

    Table 1's claim: the jointly trained model matches or beats the single-system ones. At equal
    steps the joint model sees each of N systems N times less often; ``exposure_matched`` also
    trains it for N x ``steps`` steps ("multi_matched"), so that it sees as many samples of each
    system as a single model does. Returns ``<column>/<system>`` test NRMSEs.
    """
    data = ctx.config["data"]
    datasets = list(data["datasets"])
    joint = {"multi": steps} | (
        {"multi_matched": len(datasets) * steps} if exposure_matched else {}
    )
    tested = {
        column: _fit_and_test(ctx, seeded_module(ctx), MPPDataModule(**data), n)
        for column, n in joint.items()
    }
    for name in datasets:
        single_data = MPPDataModule(**{**data, "datasets": [name]})
        tested[f"single/{name}"] = _fit_and_test(ctx, seeded_module(ctx), single_data, steps)
    columns = [*joint, "single", "persistence"]
    rows, results = [], {}
    for name in datasets:
        row: dict[str, Any] = {"system": name}
        for column in columns:
            source = {"single": f"single/{name}", "persistence": "multi"}.get(column, column)
            kind = "persistence" if column == "persistence" else "nrmse"
            row[column] = tested[source][f"test/{kind}/{name}"]
            results[f"{column}/{name}"] = row[column]
        rows.append(row)
    ctx.log_table(rows, "single_vs_multi")
    title = ", ".join(f"{column}: {n} steps" for column, n in joint.items()) + f", single: {steps}"
    _log_figure(ctx, nrmse_bars(rows, columns, title), "single_vs_multi")
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
    data = ctx.config["data"]
    pretrain_module = seeded_module(ctx)
    pretrained = _fit_and_test(ctx, pretrain_module, MPPDataModule(**data), pretrain_steps)
    checkpoint = pretrain_module.model.save(ctx.workdir / "pretrained.pt")
    rows, curves, results = [], {}, {"pretrain/test_nrmse": pretrained["test/nrmse"]}
    for size in sizes:
        target_data = {**data, "datasets": [target], "max_train_trajectories": size}
        for start in ("finetuned", "scratch"):
            module = (
                seeded_module(ctx, lr=finetune_lr, init_from=str(checkpoint))
                if start == "finetuned"
                else seeded_module(ctx)
            )
            datamodule = MPPDataModule(**target_data)
            metrics = _fit_and_test(ctx, module, datamodule, finetune_steps)
            curve, persistence = rollout_nrmse(
                module.model.eval(), datamodule.split("test")[0], rollout_steps
            )
            curves.setdefault(f"{size} trajectories", {"persistence": persistence.mean(-1).numpy()})
            curves[f"{size} trajectories"][start] = curve.mean(-1).numpy()
            row = {  # one step: every test window; rollouts: from each test trajectory's start
                "start": start,
                "trajectories": size,
                "one-step NRMSE": metrics[f"test/nrmse/{target}"],
                "persistence one-step": metrics[f"test/persistence/{target}"],
                f"{rollout_steps}-step NRMSE": float(curve[-1].mean()),
                f"persistence {rollout_steps}-step": float(persistence[-1].mean()),
            }
            rows.append(row)
            results[f"{start}/{size}/one_step"] = row["one-step NRMSE"]
            results[f"{start}/{size}/rollout"] = row[f"{rollout_steps}-step NRMSE"]
    ctx.log_table(rows, "transfer")
    metrics = ["one-step NRMSE", f"{rollout_steps}-step NRMSE"]
    persistence = {  # the same test trajectories at every size
        metric: float(rows[0][f"persistence {metric.removesuffix(' NRMSE')}"]) for metric in metrics
    }
    figure = transfer_curves(rows, metrics, f"transfer to {target}", persistence)
    _log_figure(ctx, figure, "transfer")
    _log_figure(ctx, rollout_curves(curves, f"rollout on {target}"), "transfer_rollout")
    ctx.log_metrics(results)
    return results
