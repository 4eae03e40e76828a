"""The scan experiment: one ensemble per objective (and training size), compared in one run."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import torch
from lightning import seed_everything

from polymath.foundation import RunContext
from polymath.likelihood_ratio import plots
from polymath.likelihood_ratio.data import RatioDataModule
from polymath.likelihood_ratio.losses import Objective
from polymath.likelihood_ratio.metrics import summarize
from polymath.likelihood_ratio.module import LikelihoodRatioEnsemble

SCANNED = ("p", "r", "q")


def objective_label(objective: Mapping[str, Any]) -> str:
    params = ",".join(f"{k}={objective[k]:g}" for k in SCANNED if objective.get(k) is not None)
    loss = f"{objective['loss']}({params})" if params else objective["loss"]
    return f"{loss}/{objective['link']}"


def scan(
    ctx: RunContext,
    objectives: list[dict[str, Any]],
    sizes: list[int] | None = None,
    group_by: Literal["p", "r", "q"] | None = None,
    curves: int = 6,
) -> dict[str, float]:
    """Fits an ensemble for every objective (``loss``, ``link`` and ``p``/``r``/``q``) at every
    training size (default: ``data.n``): a comparison of objectives inside one run.

    Logs a table of MAE per member (mean ± std) and of the ensemble-mean ratio, the ratio curves
    (1D data) or error maps (2D data) of each objective at the largest size, and MAE against p, r
    or n when those vary. Returns ``best/mae_mean`` and one metric per row. A scan over one
    setting alone is better written as a sweep (see the p-scan recipe): one child run per value.
    """
    sizes = sizes or [ctx.config["data"]["n"]]
    rows, shown = [], {}
    for n in sizes:
        datamodule = ctx.build_datamodule(n=n)
        for objective in objectives:
            seed_everything(ctx.config["model"].get("seed", 0), workers=True, verbose=False)
            module = ctx.build_module(**objective, input_dim=datamodule.dim)
            trainer = ctx.trainer(logger=False)
            trainer.fit(module, datamodule=datamodule)
            trainer.test(module, datamodule=datamodule, verbose=False)
            row = _row(objective, n, module, trainer.current_epoch, group_by)
            rows.append(row)
            print(f"likelihood-ratio: {row}", flush=True)
            if n == max(sizes) and len(shown) < curves:
                shown[row["objective"]] = _curve(module, datamodule)
    metrics = {
        _metric_key(f"{row['objective']}/n{row['n']}/mae_mean"): row["mae_mean"] for row in rows
    }
    best = min(rows, key=lambda row: row["mae_mean"])
    metrics |= {"best/mae_mean": best["mae_mean"], "best/mae_std": best["mae_std"]}
    ctx.log_metrics(metrics)
    ctx.log_table(rows, "objectives")
    ctx.log_table(best_pairs(rows), "best_pairs")
    _log_figures(ctx, rows, shown, datamodule)
    return metrics


def check_objectives(config: Mapping[str, Any], module: Any, datamodule: Any) -> None:
    """The package's ``check``: every objective a scan fits is a known loss with a link of its
    domain, refused before any run exists rather than at its turn in the scan."""
    for index, objective in enumerate(config["experiment"].get("objectives") or []):
        try:
            Objective.from_names(**objective)
        except (TypeError, ValueError) as error:
            raise ValueError(f"experiment.objectives[{index}]: {error}") from None


def _metric_key(text: str) -> str:
    """MLflow metric names allow letters, digits and ``_-./ `` only."""
    return re.sub(r"[^\w\-./ ]", "_", text)


def best_pairs(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The best parametrization of each loss (and scanned value), best first."""
    best: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        loss = row["objective"].split("/")[0]
        if loss not in best or row["mae_mean"] < best[loss]["mae_mean"]:
            best[loss] = row
    ordered = sorted(best.values(), key=lambda row: row["mae_mean"])
    return [
        {k: row[k] for k in ("objective", "n", "mae_mean", "mae_std", "mae_ensemble")}
        for row in ordered
    ]


def _row(objective, n, module, epochs, group) -> dict[str, Any]:
    mean, std = summarize(module.member_mae)
    return {
        "objective": objective_label(objective),
        "group": objective_label({**objective, group: None}) if group else "all",
        **{k: objective.get(k) for k in SCANNED if objective.get(k) is not None},
        "n": n,
        "members": module.hparams.members,
        "mae_mean": mean,
        "mae_std": std,
        "mae_ensemble": float(module.trainer.callback_metrics["test/mae_ensemble_ratio"]),
        "epochs": epochs,
    }


def _curve(module: LikelihoodRatioEnsemble, datamodule: RatioDataModule) -> dict[str, np.ndarray]:
    problem = datamodule.problem
    if problem.dim == 1:
        x_test = datamodule.test_arrays()[0].numpy()[:, 0]
        low, high = np.quantile(x_test, [0.001, 0.999])
        grid = np.linspace(low, high, 241, dtype=np.float32)[:, None]
    elif problem.dim == 2:
        axis = np.linspace(-2, 2, 201, dtype=np.float32)
        grid = np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)
    else:
        return {}
    estimate = module.likelihood_ratio(torch.from_numpy(grid)).cpu().numpy()
    return {"grid": grid, "estimate": estimate, "exact": problem.likelihood_ratio(grid)}


def _log_figures(ctx, rows, shown, datamodule) -> None:
    figures = {"mae": plots.mae_bars([r for r in rows if r["n"] == max(r2["n"] for r2 in rows)])}
    for key, log_x in (("p", False), ("r", False), ("n", True)):
        if len({row.get(key) for row in rows}) > 1:
            figures[f"mae_vs_{key}"] = plots.mae_against(rows, key, log_x=log_x)
    dim = datamodule.problem.dim
    if dim == 1 and shown:
        first = next(iter(shown.values()))
        estimates = {label: curve["estimate"] for label, curve in shown.items()}
        figures["ratio"] = plots.ratio_curve(first["grid"][:, 0], first["exact"], estimates)
    if dim == 2:
        for label, curve in shown.items():
            side = int(np.sqrt(len(curve["grid"])))
            error = (curve["estimate"].mean(0) - curve["exact"]).reshape(side, side)
            name = "error_map_" + label.replace("/", "_").replace("(", "_").replace(")", "")
            figures[name] = plots.error_map(np.linspace(-2, 2, side), error, label)
    for name, figure in figures.items():
        ctx.log_figure(figure, name)
        plots.plt.close(figure)
