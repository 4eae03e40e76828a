"""Named configurations and the experiment that trains one ensemble per (objective, size)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from lightning import seed_everything

from polymath.foundation import Recipe, RunContext
from polymath.likelihood_ratio import plots
from polymath.likelihood_ratio.data import RatioDataModule
from polymath.likelihood_ratio.metrics import summarize
from polymath.likelihood_ratio.module import LikelihoodRatioEnsemble

SCANNED = ("p", "r", "q")


def objective_label(objective: Mapping[str, Any]) -> str:
    params = ",".join(f"{k}={objective[k]:g}" for k in SCANNED if objective.get(k) is not None)
    loss = f"{objective['loss']}({params})" if params else objective["loss"]
    return f"{loss}/{objective['link']}"


def scan(ctx: RunContext) -> dict[str, float]:
    """Fits an ensemble for every objective (and training size) listed in ``experiment``.

    Logs a table of MAE per member (mean ± std) and of the ensemble-mean ratio, the ratio curves
    (1D data) or error maps (2D data) of each objective at the largest size, and MAE against p, r
    or n when those vary. Returns ``best/mae_mean`` and one metric per row.
    """
    settings = ctx.config["experiment"]
    sizes = settings.get("sizes") or [ctx.config["data"]["n"]]
    rows, curves = [], {}
    for n in sizes:
        datamodule = RatioDataModule(**{**ctx.config["data"], "n": n})
        for objective in settings["objectives"]:
            seed_everything(ctx.config["model"].get("seed", 0), workers=True)
            module = LikelihoodRatioEnsemble(
                **{**ctx.config["model"], **objective, "input_dim": datamodule.dim}
            )
            trainer = ctx.trainer(logger=False)
            trainer.fit(module, datamodule=datamodule)
            trainer.test(module, datamodule=datamodule, verbose=False)
            row = _row(objective, n, module, trainer.current_epoch, settings)
            rows.append(row)
            print(f"likelihood-ratio: {row}", flush=True)
            if n == max(sizes):
                curves[row["objective"]] = _curve(module, datamodule)
    metrics = {
        _metric_key(f"{row['objective']}/n{row['n']}/mae_mean"): row["mae_mean"] for row in rows
    }
    best = min(rows, key=lambda row: row["mae_mean"])
    metrics |= {"best/mae_mean": best["mae_mean"], "best/mae_std": best["mae_std"]}
    ctx.log_metrics(metrics)
    ctx.log_table(rows, "objectives")
    ctx.log_table(best_pairs(rows), "best_pairs")
    _log_figures(ctx, rows, curves, datamodule)
    return metrics


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


def _row(objective, n, module, epochs, settings) -> dict[str, Any]:
    mean, std = summarize(module.member_mae)
    group = settings.get("group_by")
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


def _log_figures(ctx, rows, curves, datamodule) -> None:
    figures = {"mae": plots.mae_bars([r for r in rows if r["n"] == max(r2["n"] for r2 in rows)])}
    for key, log_x in (("p", False), ("r", False), ("n", True)):
        if len({row.get(key) for row in rows}) > 1:
            figures[f"mae_vs_{key}"] = plots.mae_against(rows, key, log_x=log_x)
    dim = datamodule.problem.dim
    shown = dict(list(curves.items())[: ctx.config["experiment"].get("curves", 6)])
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


def _config(
    *,
    objectives: Sequence[Mapping[str, Any]],
    n: int,
    members: int,
    max_epochs: int,
    dataset: str = "normal",
    n_test: int | None = None,
    sizes: Sequence[int] | None = None,
    group_by: str | None = None,
    keras: bool = False,
) -> dict[str, Any]:
    model = {"members": members, "patience": 10, "lr": 1e-3, "seed": 0}
    if keras:
        model |= {"init": "keras", "adam_eps": 1e-7}
    return {
        "model": model,
        "data": {"dataset": dataset, "n": n, "n_test": n_test or n, "batch_fraction": 0.1},
        "trainer": {
            "max_epochs": max_epochs,
            "progress": "none",
            "accelerator": "cpu",
            "devices": 1,
        },
        "experiment": {
            "objectives": [dict(o) for o in objectives],
            "sizes": list(sizes) if sizes else None,
            "group_by": group_by,
        },
    }


POSITIVE = [
    {"loss": loss, "link": link}
    for loss in ("mlc", "sqr")
    for link in ("linear", "square", "exponential")
]
UNIT = [
    {"loss": loss, "link": link}
    for loss in ("bce", "mse")
    for link in ("sigmoid", "tanh", "arctan", "probit")
]
P_VALUES = [-1.0, -0.5, 1.05, 1.1, 1.2, 1.3, 1.5, 2.0, 3.0]
R_VALUES = [0.005, 0.02, 0.1, 0.25, 0.5, 1.0, 2.0]


def _p_scan(values: Sequence[float]) -> list[dict[str, Any]]:
    return [{"loss": "p-mse", "link": "sigmoid", "p": p} for p in values]


def _r_scan(values: Sequence[float]) -> list[dict[str, Any]]:
    return [{"loss": "r-sqr", "link": "exponential", "r": r} for r in values]


def _recipe(description: str, paper_value: str | None = None, **config: Any) -> Recipe:
    """A scan recipe; the CPU-sized defaults are 8 members, 2·10^4 samples, at most 40 epochs."""
    sizes = {"n": 20_000, "members": 8, "max_epochs": 40}
    return Recipe(
        description,
        _config(**{**sizes, **config}),
        experiment=scan,
        headline="best/mae_mean",
        paper_value=paper_value,
    )


RECIPES = {
    "smoke": _recipe(
        "Two objectives, 3 members, 2000 samples, 5 epochs (seconds; what the tests run).",
        objectives=[{"loss": "mlc", "link": "exponential"}, {"loss": "bce", "link": "sigmoid"}],
        n=2000,
        members=3,
        max_epochs=5,
    ),
    "quick": _recipe(
        "MLC and SQR under linear, square and exponential parametrizations on N(±0.1, 1): "
        "8-member ensembles, 2·10^4 samples (about two minutes on 2 cores).",
        "exponential best, linear worst (MAE ~1e-2 at N=10^6)",
        objectives=POSITIVE,
    ),
    "links": _recipe(
        "BCE and MSE under sigmoid, tanh, arctan and probit on N(±0.1, 1) (a few minutes).",
        "small differences between links",
        objectives=UNIT,
    ),
    "p-scan": _recipe(
        "p-MSE (sigmoid) over p on N(±0.1, 1) (a few minutes).",
        "optimum near p ≈ 1.1–1.3, better than p = 2",
        objectives=_p_scan(P_VALUES),
        group_by="p",
    ),
    "r-scan": _recipe(
        "r-SQR (exponential) over r on N(±0.1, 1) (a few minutes).",
        "optimum at small r (≈ 0.005–0.02)",
        objectives=_r_scan(R_VALUES),
        group_by="r",
    ),
    "sizes": _recipe(
        "MAE against the training size for BCE and exponential MLC (a few minutes).",
        objectives=[{"loss": "bce", "link": "sigmoid"}, {"loss": "mlc", "link": "exponential"}],
        sizes=[1_000, 4_000, 20_000],
    ),
    "paper": _recipe(
        "The paper's setting: 100-member ensembles (Keras initialisation and Adam epsilon), 10^6 "
        "samples of N(±0.1, 1), 100 epochs with patience 10; every parametrization of BCE, MSE, MLC "
        "and SQR, the p and r scans, and sizes 10^2 to 10^6 (GPU; hours).",
        "exponential MLC/SQR and p≈1.1–1.3 best; MAE ~1e-2 at N=10^6",
        objectives=[
            *POSITIVE,
            *UNIT,
            *_p_scan([float(p) for p in np.round(np.linspace(-2, 2, 101), 2) if not 0 <= p <= 1]),
            *_r_scan([*np.round(np.linspace(0.05, 2, 40), 3).tolist(), 0.005, 0.01, 0.02]),
        ],
        n=1_000_000,
        n_test=100_000,
        members=100,
        max_epochs=100,
        sizes=[100, 1_000, 10_000, 100_000, 1_000_000],
        keras=True,
    ),
}
