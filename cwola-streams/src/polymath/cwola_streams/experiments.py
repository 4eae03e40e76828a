"""The recipes' experiments: one patch, many mock patches, a blind scan, and the GD-1 pipeline.

Each takes the run context first (its ``config`` holds the recipe's ``model``, ``data`` and
``trainer`` sections) and returns its final metrics; figures and tables go to MLflow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.metrics import roc_auc_score

from polymath.cwola_streams import plots
from polymath.cwola_streams.data.datamodule import PatchDataModule
from polymath.cwola_streams.data.formats import Patch, label_members, load_members, load_patch
from polymath.cwola_streams.data.simulate import StreamModel, simulate_patch
from polymath.cwola_streams.module import CWoLaModule
from polymath.cwola_streams.pipeline import patch_scores, top_n_purity, window_composition
from polymath.cwola_streams.selection import PatchScores, select_candidates, top_n
from polymath.cwola_streams.windows import scan_windows, window_significance
from polymath.foundation import RunContext


def train_patch(
    ctx: RunContext, datamodule: PatchDataModule, logged: bool = True
) -> tuple[CWoLaModule, PatchScores]:
    """Fits the patch's nested k-fold ensemble; returns it and every star's out-of-fold score.

    ``logged`` fits keep their curves and checkpoints in the run; the others are sub-fits.
    """
    datamodule.setup("fit")  # bad input (file, window, folds) fails here, before any training
    module = ctx.build_module(members=datamodule.members)
    ctx.fit(ctx.trainer(logger=logged), module, datamodule)
    return module, patch_scores(module, datamodule)


def _purities(result: PatchScores, sizes: Sequence[int], prefix: str = "") -> dict[str, float]:
    metrics = {}
    for n in sizes:
        metrics[f"{prefix}top{n}/purity"] = top_n_purity(result, n).purity
        metrics[f"{prefix}top{n}/purity_before_cuts"] = top_n_purity(result, n, cuts=False).purity
    return metrics


def _roc_auc(result: PatchScores) -> float:
    """Stream against field by the out-of-fold scores in the window (NaN without both classes)."""
    window = np.isfinite(result.scores)
    truth = result.is_member[window]
    if truth.all() or not truth.any():
        return float("nan")
    return float(roc_auc_score(truth, result.scores[window]))


def _field_trend(result: PatchScores, datamodule: PatchDataModule) -> float:
    """ROC AUC of the CWoLa scores for SR against SB among field stars alone: 0.5 if the field is
    the same in the SR and the SB; above it, CWoLa also learns the field's trend across the window."""
    index, in_sr = datamodule.window.split(datamodule.patch)
    field = ~result.is_member[index]
    if in_sr[field].all() or not in_sr[field].any():
        return float("nan")
    return float(roc_auc_score(in_sr[field], result.scores[index][field]))


def score_patch(
    ctx: RunContext,
    datamodule: PatchDataModule,
    top: Sequence[int],
    supervised: bool,
    logged: bool = True,
) -> tuple[CWoLaModule, PatchScores, PatchScores | None, dict[str, float]]:
    """CWoLa on one patch and, with ``supervised``, the bound: the same classifier trained on the
    truth (stream against field) in the same window. Returns the CWoLa module, both sets of
    out-of-fold scores and the metrics: the window's composition, top-N purities and ROC AUCs."""
    module, result = train_patch(ctx, datamodule, logged)
    metrics = window_composition(datamodule.patch, datamodule.window) | _purities(result, top)
    metrics["roc_auc/cwola"] = _roc_auc(result)
    metrics["roc_auc/field_sr_vs_sb"] = _field_trend(result, datamodule)
    bound = None
    if supervised:
        truth = PatchDataModule.from_patch(
            datamodule.patch, **(dict(datamodule.hparams) | {"labels": "truth"})
        )
        _, bound = train_patch(ctx, truth, logged=False)
        metrics |= _purities(bound, top, prefix="supervised/")
        metrics["roc_auc/supervised"] = _roc_auc(bound)
    return module, result, bound, metrics


def one_patch(
    ctx: RunContext, top: Sequence[int] = (50, 100), supervised: bool = False
) -> dict[str, float]:
    """CWoLa on one patch: top-N purity before and after the fiducial cuts, and the figures.

    With ``supervised``, a classifier trained on the truth in the same window gives the bound.
    """
    datamodule = ctx.build_datamodule()
    module, result, bound, metrics = score_patch(ctx, datamodule, top, supervised)
    ctx.log_model(module)
    window = np.isfinite(result.scores)
    truth = result.is_member[window]
    if bound is not None:
        curves = {"CWoLa (SR vs SB)": (truth, result.scores[window])}
        curves["supervised (truth)"] = (truth, bound.scores[window])
        ctx.log_figure(plots.roc(curves), "roc.png")
    best = top_n(np.nan_to_num(result.scores, nan=-np.inf), max(top), window & result.passes_cuts)
    ctx.log_figure(plots.candidates(result, best, f"top {max(top)} after cuts"), "candidates.png")
    ctx.log_figure(plots.window_histogram(datamodule.patch, datamodule.window), "window.png")
    ctx.log_metrics(metrics)
    return metrics


def _summary(values: np.ndarray, prefix: str) -> dict[str, float]:
    return {
        f"{prefix}_mean": float(values.mean()),
        f"{prefix}_median": float(np.median(values)),
        f"{prefix}_fraction_above_half": float((values > 0.5).mean()),
        f"{prefix}_fraction_above_zero": float((values > 0).mean()),
    }


def mocks(
    ctx: RunContext,
    n_mocks: int = 12,
    strengths: Sequence[int] = (100, 200, 400, 800),
    top: int = 50,
    first_seed: int = 1,
    supervised: bool = True,
) -> dict[str, float]:
    """Mock patches of varied stream strength on one simulated field: the purity distribution.

    As in the paper, where every mock stream was injected into the same Gaia patch, the field is
    simulated once; mock i gets its own gala stream (seed ``first_seed + i``) with
    ``strengths[i % len(strengths)]`` stars. Each mock also records its window's composition and,
    with ``supervised``, the supervised bound's purity: what CWoLa could reach on that patch.
    """
    if n_mocks < 1 or not strengths:
        raise ValueError(f"mocks needs n_mocks >= 1 and a strength; got {n_mocks}, {strengths}")
    data = dict(ctx.config.get("data", {}))
    hp = PatchDataModule(**data).hparams
    background = simulate_patch(
        hp.n_background, 0, hp.center_ra, hp.center_dec, seed=hp.simulation_seed
    )
    rows = []
    for i in range(n_mocks):
        seed = first_seed + i
        n_stream = int(strengths[i % len(strengths)])
        stream = simulate_patch(
            0,
            n_stream,
            hp.center_ra,
            hp.center_dec,
            seed=seed,
            stream=StreamModel(age_myr=hp.stream_age_myr),
        )
        patch = Patch(
            np.concatenate([background.stars, stream.stars]),
            np.concatenate([background.is_stream, stream.is_stream]),
        )
        datamodule = PatchDataModule.from_patch(patch, **data)
        *_, metrics = score_patch(ctx, datamodule, [top], supervised, logged=False)
        rows.append({"mock": i, "seed": seed, "n_stream": n_stream} | metrics)
        ctx.log_metrics({f"mock/{k}": v for k, v in metrics.items()}, step=i)
        print(
            f"mock {i + 1}/{n_mocks}: {n_stream} stream stars, enrichment "
            f"{metrics['window/enrichment']:.2f}, top-{top} purity {metrics[f'top{top}/purity']:.2f}"
            + (f" (supervised {metrics[f'supervised/top{top}/purity']:.2f})" if supervised else ""),
            flush=True,
        )
    ctx.log_table(rows, "mocks")
    ctx.log_figure(plots.purity_study(rows, top), "purity.png")
    summary = purity_summary(rows, top)
    ctx.log_metrics(summary)
    return summary


def purity_summary(rows: Sequence[Mapping[str, float]], top: int) -> dict[str, float]:
    """Mean, median and fractions above 50 % and 0 % of the mocks' top-N purity, overall and
    per stream strength; the same for the supervised bound when the rows hold it."""
    key = f"top{top}/purity"
    metrics = _summary(np.array([row[key] for row in rows]), f"{key}")
    if all(f"supervised/{key}" in row for row in rows):
        bound = np.array([row[f"supervised/{key}"] for row in rows])
        metrics |= _summary(bound, f"supervised/{key}")
    for strength in sorted({row["n_stream"] for row in rows}):
        purity = [row[key] for row in rows if row["n_stream"] == strength]
        metrics[f"{key}_median/n_stream_{int(strength)}"] = float(np.median(purity))
    return metrics


def scan(
    ctx: RunContext,
    sr_width: float = 1.0,
    sb_width: float = 1.0,
    step: float | None = None,
    efficiency: float = 0.01,
    quantiles: tuple[float, float] = (0.05, 0.95),
) -> dict[str, float]:
    """A blind scan: CWoLa in every window slid across μ_λ, each scored with a significance.

    No truth places the windows or enters the significance; the truth, when the patch has one,
    is only drawn on the figure and reported as the true stream's window.
    """
    data = dict(ctx.config.get("data", {}))
    patch = ctx.build_datamodule().patch
    windows = scan_windows(
        patch[data.get("variable", "pmlambda")], sr_width, sb_width, step, quantiles
    )
    rows = []
    for i, window in enumerate(windows):
        bounds = {
            "window_center": window.center,
            "sr_half": window.sr_half,
            "sb_half": window.sb_half,
        }
        datamodule = PatchDataModule.from_patch(patch, **(data | bounds))
        _, result = train_patch(ctx, datamodule, logged=False)
        index, labels = datamodule.selection
        z, selected, expected = window_significance(result.scores[index], labels, efficiency)
        rows.append({"center": window.center, "z": z, "selected": selected, "expected": expected})
        ctx.log_metrics({"scan/z": z, "scan/center": window.center}, step=i)
    centers, z = np.array([r["center"] for r in rows]), np.array([r["z"] for r in rows])
    truth = None
    if patch.is_stream is not None and patch.is_stream.any():
        truth = float(np.median(patch[datamodule.window.variable][patch.is_stream]))
    ctx.log_table(rows, "scan")
    ctx.log_figure(plots.scan(centers, z, truth), "scan.png")
    best = int(np.argmax(z))
    metrics = {"scan/max_z": float(z[best]), "scan/best_center": float(centers[best])}
    if truth is not None:
        metrics["scan/best_offset_from_truth"] = float(abs(centers[best] - truth))
    ctx.log_metrics(metrics)
    return metrics


def gd1(
    ctx: RunContext,
    patch_files: Sequence[str] = (),
    members_file: str | None = None,
    top: int = 250,
) -> dict[str, float]:
    """The paper's GD-1 pipeline on the published patches: oracle windows from the labelled
    members, CWoLa per patch, top ``top`` per patch after cuts, KMeans in proper motion, dedup."""
    if not patch_files or members_file is None:
        raise ValueError(
            "the gd1 recipe needs experiment.patch_files=[...] (the 21 published .npy patches) "
            "and experiment.members_file=... (the GD-1 member list)"
        )
    members = load_members(members_file)
    data = dict(ctx.config.get("data", {}))
    results = []
    for i, path in enumerate(patch_files):
        patch = load_patch(path)
        patch = Patch(patch.stars, label_members(patch, members))
        _, result = train_patch(ctx, PatchDataModule.from_patch(patch, **data), logged=False)
        results.append(result)
        ctx.log_metrics({"patch/top50_purity": top_n_purity(result, 50).purity}, step=i)
    _, _, before = select_candidates(results, top, cluster=False, deduplicate=False)
    _, _, after = select_candidates(results, top, cluster=True)
    metrics = before.as_dict("before_cluster/") | after.as_dict("selected/")
    ctx.log_metrics(metrics)
    return metrics
