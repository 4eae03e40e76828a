"""The encodings comparison: every encoding on every task, in and out of distribution, one table."""

from __future__ import annotations

import time
from typing import Any

from lightning import seed_everything

from polymath.foundation import RunContext, build_trainer
from polymath.xval import plots
from polymath.xval.data.datamodule import XvalDataModule
from polymath.xval.evaluation import multiplication_sweep, token_counts
from polymath.xval.module import NumformerModule
from polymath.xval.throughput import TrainingThroughput

TABLE_METRICS = ("mse", "ood_mse", "invalid", "ood_invalid")


def fit_one(
    ctx: RunContext, task: dict[str, Any], encoding: str
) -> tuple[dict, NumformerModule, XvalDataModule]:
    """One model for one (task, encoding): fitted, tested, with its token counts and throughput.

    Every fit starts from the recipe's seed, so a cell of the table does not depend on which
    fits ran before it (``experiment.encodings=[p10]`` alone gives the same P10 row)."""
    seed_everything(ctx.trainer_config.seed, workers=True, verbose=False)
    datamodule = XvalDataModule(**{**ctx.config.get("data", {}), **task, "encoding": encoding})
    module = NumformerModule(**ctx.config.get("model", {}))
    throughput = TrainingThroughput()
    config = ctx.trainer_config.replace(checkpoint_dir=None, resume=None)
    trainer = build_trainer(config, logger=False, callbacks=[throughput])
    started = time.perf_counter()
    trainer.fit(module, datamodule=datamodule)
    fit_seconds = time.perf_counter() - started
    trainer.test(module, datamodule=datamodule, verbose=False)
    records = [s["record"] for _, s in zip(range(256), _records(datamodule, "test"))]
    row: dict[str, Any] = {
        "encoding": encoding,
        **token_counts(datamodule, records),
        "parameters": sum(p.numel() for p in module.model.parameters()),
        "fit_seconds": fit_seconds,
        "train_samples_per_s": throughput.samples_per_second,
        "train_tokens_per_s": throughput.tokens_per_second,
    }
    for name, metrics in module.results.items():
        prefix = "ood_" if name.endswith("ood") else ""
        row.update({f"{prefix}{metric}": value for metric, value in metrics.items()})
    return row, module, datamodule


def _records(datamodule: XvalDataModule, split: str):
    from polymath.foundation.data import shard_dataset

    return iter(shard_dataset(datamodule.paths[split], fields=["record"]))


def compare_encodings(
    ctx: RunContext,
    encodings: list[str],
    tasks: dict[str, dict[str, Any]],
    continuity_operand: int = 37,
    continuity_range: tuple[int, int] = (1, 99),
) -> dict[str, float]:
    """Fits every encoding on every task (``tasks``: name -> data overrides); logs the table, a
    bar figure, parity maps and, for multiplication, the continuity sweep and its jump measure.
    The run's model is the first task's xVal model (the first model if xVal is not compared)."""
    rows, metrics, logged = [], {}, False
    for task_name, task in tasks.items():
        curves, sweep = {}, None
        for encoding in encodings:
            row, module, datamodule = fit_one(ctx, task, encoding)
            row = {"task": task_name, **row}
            if (
                task.get("task") == "arithmetic"
                and task.get("arithmetic", "multiplication") == "multiplication"
            ):
                sweep = multiplication_sweep(
                    module, datamodule, continuity_operand, *continuity_range
                )
                curves[encoding] = sweep.predicted
                row["excess_variation"] = sweep.excess_variation
                row["roughness"] = sweep.roughness
                row["continuity_invalid"] = sweep.invalid
            rows.append(row)
            if not logged and (encoding == "xval" or "xval" not in encodings):
                ctx.log_model(module)
                logged = True
            print(f"encodings: {_short(row)}", flush=True)
            for name, predictions in module.predictions.items():
                figure = plots.parity(predictions, f"{task_name} · {encoding} · {name}")
                ctx.log_figure(figure, f"parity_{task_name}_{encoding}_{name.replace('/', '_')}")
                plots.plt.close(figure)
            for metric in (
                *TABLE_METRICS,
                "tokens_per_sample",
                "train_samples_per_s",
                "excess_variation",
                "roughness",
            ):
                if metric in row:
                    metrics[f"{task_name}/{encoding}/{metric}"] = float(row[metric])
        if sweep is not None:
            figure = plots.continuity(
                sweep.inputs,
                sweep.truth,
                curves,
                f"a in a × {continuity_operand}",
                task.get("ood_band"),
            )
            ctx.log_figure(figure, f"continuity_{task_name}")
            plots.plt.close(figure)
    ctx.log_table(rows, "encodings")
    figure = plots.encodings_bars(rows, ["mse", "ood_mse"])
    ctx.log_figure(figure, "encodings_mse")
    plots.plt.close(figure)
    ctx.log_metrics(metrics)
    return metrics


def _short(row: dict[str, Any]) -> dict[str, Any]:
    keep = (
        "task",
        "encoding",
        "tokens_per_number",
        "tokens_per_sample",
        "mse",
        "ood_mse",
        "invalid",
        "excess_variation",
        "roughness",
        "train_samples_per_s",
        "fit_seconds",
    )
    return {k: round(row[k], 4) if isinstance(row[k], float) else row[k] for k in keep if k in row}
