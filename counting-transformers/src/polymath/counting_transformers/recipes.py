"""Named configurations: smoke, quick, paper, and the encoder x positional-encoding sweeps."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from itertools import product
from typing import Any

from lightning import seed_everything

from polymath.counting_transformers import plots
from polymath.counting_transformers.data import largest_count
from polymath.counting_transformers.datamodule import CountingDataModule
from polymath.counting_transformers.module import CountingModule
from polymath.counting_transformers.report import report
from polymath.foundation import Recipe, RunContext

ENCODERS = {"causal": True, "non-causal": False}


def _config(
    *,
    length: int,
    regions: int,
    ood_lengths: Sequence[int],
    ood_regions: Sequence[int],
    model: dict[str, Any],
    data: dict[str, Any],
    trainer: dict[str, Any],
    experiment: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A recipe config whose count classes, query table and position table cover every eval set."""
    lengths, counts = [length, *ood_lengths], [regions, *ood_regions]
    max_count = max(largest_count(n, r) for n, r in product(lengths, counts))
    config = {
        "model": {
            "max_count": max_count,
            "max_regions": max(counts),
            "max_length": max(lengths),
            **model,
        },
        "data": {
            "length": length,
            "regions": regions,
            "max_count": max_count,
            "ood_lengths": list(ood_lengths),
            "ood_regions": list(ood_regions),
            **data,
        },
        "trainer": {"check_val_every_n_epoch": None, "gradient_clip_val": 1.0, **trainer},
    }
    if experiment is not None:
        config["experiment"] = experiment
    return config


def _mean_ood(results: dict[str, dict[str, float]], metric: str) -> float:
    values = [v[metric] for name, v in results.items() if name != "id"]
    return statistics.fmean(values) if values else float("nan")


def sweep(ctx: RunContext) -> dict[str, float]:
    """One fit per (encoder, positional encoding, seed); a table, a figure and a report of the best."""
    settings = ctx.config["experiment"]
    runs, best = [], None
    for encoder, position, seed in product(
        settings["encoders"], settings["positions"], settings["seeds"]
    ):
        seed_everything(seed, workers=True)
        module = CountingModule(
            **{**ctx.config["model"], "causal": ENCODERS[encoder], "position": position}
        )
        datamodule = CountingDataModule(**{**ctx.config["data"], "seed": seed})
        trainer = ctx.trainer(logger=False, progress=settings.get("progress", "none"))
        trainer.fit(module, datamodule=datamodule)
        trainer.test(module, datamodule=datamodule, verbose=False)
        results = module.results
        row = {
            "encoder": encoder,
            "position": position,
            "seed": seed,
            "acc_region": results["id"]["acc_region"],
            "acc_sequence": results["id"]["acc_sequence"],
            "ood_acc_region": _mean_ood(results, "acc_region"),
        }
        runs.append(row)
        print(f"sweep: {row}", flush=True)
        if best is None or row["acc_region"] > best[0]["acc_region"]:
            best = (row, module, datamodule)

    summary, metrics = summarise(runs), {}
    for row in summary:
        for key in ("mean", "best", "std"):
            metrics[f"sweep/{row['encoder']}/{row['position']}/acc_region_{key}"] = row[
                f"acc_region_{key}"
            ]
    ctx.log_table(runs, "sweep_runs")
    ctx.log_table(summary, "sweep_summary")
    figure = plots.sweep_accuracy(runs)
    ctx.log_figure(figure, "sweep_accuracy")
    plots.plt.close(figure)
    ctx.log_metrics(metrics)
    row, module, datamodule = best
    report(ctx, module, datamodule)
    metrics.update({"best/acc_region": row["acc_region"], "best/acc_sequence": row["acc_sequence"]})
    return metrics


def summarise(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean, best and spread (population std) over seeds for each (encoder, position)."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for run in runs:
        groups.setdefault((run["encoder"], run["position"]), []).append(run)
    summary = []
    for (encoder, position), members in groups.items():
        row: dict[str, Any] = {"encoder": encoder, "position": position, "seeds": len(members)}
        for metric in ("acc_region", "acc_sequence", "ood_acc_region"):
            values = [m[metric] for m in members]
            row[f"{metric}_mean"] = statistics.fmean(values)
            row[f"{metric}_best"] = max(values)
            row[f"{metric}_std"] = statistics.pstdev(values)
        summary.append(row)
    return summary


PAPER_OOD = {"ood_lengths": [128, 256, 512, 768, 1024], "ood_regions": [1, 2, 3, 4, 5, 6, 8]}
QUICK_OOD = {"ood_lengths": [32, 64, 128, 256], "ood_regions": [2, 4, 8]}
QUICK_MODEL = {"d_model": 64, "position": "none", "causal": True, "lr": 3e-3, "warmup_steps": 100}
SWEEP_POSITIONS = ["none", "learned", "sinusoidal", "rope", "alibi"]

RECIPES = {
    "smoke": Recipe(
        description="A few steps of a tiny model on short sequences (seconds; what the tests run).",
        config=_config(
            length=24,
            regions=2,
            ood_lengths=[16, 32],
            ood_regions=[1, 3],
            model={"d_model": 16, "lr": 3e-3, "warmup_steps": 5},
            data={"batch_size": 32, "eval_size": 32},
            trainer={"max_steps": 40, "val_check_interval": 20, "log_every_n_steps": 10},
        ),
        headline="test/acc_region",
    ),
    "quick": Recipe(
        description="Causal NoPE encoder, length 64, 4 regions (about two minutes on 2 CPU cores), "
        "with an out-of-distribution grid over length and number of regions.",
        config=_config(
            length=64,
            regions=4,
            **QUICK_OOD,
            model=QUICK_MODEL,
            data={"batch_size": 64, "eval_size": 512},
            trainer={"max_steps": 2500, "val_check_interval": 500, "log_every_n_steps": 50},
        ),
        headline="test/acc_region",
        paper_value="close to 100% for causal models at length 512",
    ),
    "paper": Recipe(
        description="The paper's setting: length 512, 4 regions, 1 encoder and 1 decoder layer with "
        "one head; sweep over causal/non-causal x positional encodings x 5 seeds (GPU).",
        config=_config(
            length=512,
            regions=4,
            **PAPER_OOD,
            model={"d_model": 128, "lr": 3e-4, "warmup_steps": 2000},
            data={"batch_size": 128, "eval_size": 2048, "num_workers": 4},
            trainer={"max_steps": 100_000, "val_check_interval": 5000, "log_every_n_steps": 100},
            experiment={
                "encoders": list(ENCODERS),
                "positions": SWEEP_POSITIONS,
                "seeds": [0, 1, 2, 3, 4],
                "progress": "auto",
            },
        ),
        experiment=sweep,
        headline="best/acc_region",
        paper_value="causal close to 100%, non-causal far lower; NoPE best single run",
    ),
    "sweep": Recipe(
        description="A CPU-sized version of the paper's sweep: length 64, 2 seeds, "
        "causal/non-causal x none/learned/rope/alibi (about 15 minutes on 2 idle cores).",
        config=_config(
            length=64,
            regions=4,
            ood_lengths=[32, 64, 128],
            ood_regions=[2, 4, 6],
            model=QUICK_MODEL,
            data={"batch_size": 64, "eval_size": 256},
            trainer={"max_steps": 1200, "val_check_interval": 1200, "log_every_n_steps": 50},
            experiment={
                "encoders": list(ENCODERS),
                "positions": ["none", "learned", "rope", "alibi"],
                "seeds": [0, 1],
                "progress": "none",
            },
        ),
        experiment=sweep,
        headline="best/acc_region",
        paper_value="causal close to 100%, non-causal far lower",
    ),
}
