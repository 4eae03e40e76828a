"""The headline experiment: PirouNet's classifier against chance and against the same classifier
trained on the labelled windows alone, on the same windows; then its conditioned generation, judged
by a separately trained feature classifier."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch
from lightning import seed_everything

from polymath.foundation import RunContext
from polymath.pirounet.animation import animate
from polymath.pirounet.data.datamodule import DanceDataModule
from polymath.pirounet.evaluation import (
    diversity,
    entanglement,
    frechet_distance,
    latent_means,
    multimodality,
    principal_components,
    recognition,
)  # fmt: skip
from polymath.pirounet.generation import fit_density_tiles, sample_conditional
from polymath.pirounet.module import LabelledOnlyModule, PirouNetModule
from polymath.pirounet.plots import confusion_figure, latent_figure


def compare(
    ctx: RunContext, baseline: bool = True, generated: int = 0, judge_hidden: int = 250,
    judge_layers: int = 13, judge_steps: int = 400, animations: bool = True,
) -> dict[str, float]:  # fmt: skip
    """Fits PirouNet (M2), tests it, then (``baseline``) fits its classifier alone by cross-entropy
    on the labelled training windows for as many updates as PirouNet's classifier had.

    Returns test accuracy and AJD of PirouNet, the baseline's test accuracy, and two chance levels:
    uniform (1 / labels) and the majority class of the test windows. With ``generated`` > 0, also
    the generation metrics of :func:`evaluate_generation` for that many windows per label.
    """
    seed = ctx.config["trainer"].get("seed", 0)
    data = ctx.build_datamodule()
    module: PirouNetModule = ctx.build_module()
    trainer = ctx.trainer()
    ctx.fit(trainer, module, data)
    (tested,) = trainer.test(module, datamodule=data, verbose=False)
    labels = data.split.test_labels
    metrics = {
        "test/accuracy": tested["test/accuracy"], "test/ajd": tested["test/ajd"],
        "chance/uniform": 1 / module.hparams.n_labels,
        "chance/majority": float(np.bincount(labels).max() / len(labels)),
        "data/train_labelled": len(data.split.train_labelled),
        "data/train_unlabelled": len(data.split.train_unlabelled),
        "data/alpha": module.alpha,
    }  # fmt: skip
    matrices = {"PirouNet": module.test_confusion.compute().cpu().numpy()}
    h = module.hparams
    if baseline:
        seed_everything(seed, workers=True, verbose=False)
        alone = LabelledOnlyModule(h.seq_len, h.features, h.n_labels, h.classifier_hidden,
                                   h.classifier_layers, h.lr)  # fmt: skip
        fitter = ctx.trainer(logger=False, max_steps=trainer.global_step, max_epochs=None)
        fitter.fit(alone, train_dataloaders=data.labelled_dataloader(),
                   val_dataloaders=data.val_dataloader())  # fmt: skip
        (alone_tested,) = fitter.test(alone, dataloaders=data.test_dataloader(), verbose=False)
        metrics["baseline/test_accuracy"] = alone_tested["test/accuracy"]
        matrices["labelled windows alone"] = alone.test_confusion.compute().cpu().numpy()
    if generated > 0:
        seed_everything(seed, workers=True, verbose=False)
        judge = LabelledOnlyModule(
            h.seq_len, h.features, h.n_labels, judge_hidden, judge_layers, 3.0e-4
        )
        fitter = ctx.trainer(logger=False, max_steps=judge_steps, max_epochs=None)
        fitter.fit(judge, train_dataloaders=data.judge_dataloader())
        (judged,) = fitter.test(judge, dataloaders=data.test_dataloader(), verbose=False)
        metrics["judge/test_accuracy"] = judged["test/accuracy"]
        found, generated_matrices = evaluate_generation(ctx, module.model.eval(), judge.model.eval(),
                                                        data, generated, seed, animations)  # fmt: skip
        metrics |= found
        matrices |= generated_matrices
    ctx.log_metrics(metrics)
    ctx.log_figure(confusion_figure(matrices), "confusion.png")
    rows = [{"model": name, "true": k, **{f"predicted {j}": round(float(v), 3) for j, v in enumerate(row)}}
            for name, matrix in matrices.items() for k, row in enumerate(matrix)]  # fmt: skip
    ctx.log_table(rows, "confusion")
    ctx.log_model(module)
    print("pirounet: " + ", ".join(f"{k} {v:.4g}" for k, v in metrics.items()), flush=True)
    return metrics


def _windows(data: DanceDataModule, starts: np.ndarray) -> torch.Tensor:
    return data.poses[torch.as_tensor(starts)[:, None] + torch.arange(data.hparams.seq_len)]


@torch.no_grad()
def evaluate_generation(
    ctx: RunContext, model, judge, data: DanceDataModule, per_label: int, seed: int,
    animations: bool,
) -> tuple[dict[str, float], dict[str, np.ndarray]]:  # fmt: skip
    """Recognition of generation conditioned on each label (random z, and high-density tiles) by
    the judge; FID, diversity and multimodality of tile-conditioned windows against the real test
    windows in the judge's feature space; the entanglement test; the latent PCA figure; GIFs."""
    split = data.split
    train_x, train_y = _windows(data, split.train_labelled), torch.as_tensor(split.train_labels)
    latents = latent_means(model, train_x, train_y)
    tiles = fit_density_tiles(latents, split.train_labels)
    labels = torch.arange(model.n_labels).repeat_interleave(per_label)
    random = model.generate(labels, torch.Generator().manual_seed(seed))
    tiled, fallbacks = [], 0
    for k in range(model.n_labels):
        windows, fell_back = sample_conditional(model, tiles, k, per_label, seed + k)
        tiled.append(windows)
        fallbacks += fell_back
    tiled = torch.cat(tiled)
    matrices = {"recognised (random z)": recognition(judge, random, labels),
                "recognised (dense tiles)": recognition(judge, tiled, labels)}  # fmt: skip
    real_x, real_y = _windows(data, split.test), split.test_labels
    real, fake = judge.features(real_x).numpy(), judge.features(tiled).numpy()
    across_labels, across_z = entanglement(model, seed=seed)
    metrics = {
        "generation/recognition_random": float(np.diag(matrices["recognised (random z)"]).mean()),
        "generation/recognition_tiles": float(np.diag(matrices["recognised (dense tiles)"]).mean()),
        "generation/labels_without_dense_tiles": float(fallbacks),
        "generation/fid_tiles": frechet_distance(real, fake),
        "generation/fid_random": frechet_distance(real, judge.features(random).numpy()),
        "generation/diversity": diversity(fake, seed=seed),
        "real/diversity": diversity(real, seed=seed),
        "generation/multimodality": multimodality(fake, labels.numpy(), seed=seed),
        "real/multimodality": multimodality(real, real_y, seed=seed),
        "entanglement/label_over_z": across_labels / across_z,
    }
    centre, axes, explained = principal_components(latents)
    ctx.log_figure(
        latent_figure((latents - centre) @ axes[:2].T, split.train_labels, explained),
        "latent_pca.png",
    )
    if animations and ctx.logger is not None:
        with tempfile.TemporaryDirectory() as folder:
            reconstruction = model(real_x[:1], torch.as_tensor(real_y[:1]))[0][0]
            paths = [animate(reconstruction, Path(folder) / "reconstruction.gif", ghost=real_x[0],
                             title="test window (blue) and reconstruction")]  # fmt: skip
            for k in range(model.n_labels):
                paths.append(animate(tiled[k * per_label], Path(folder) / f"generated_label{k}.gif",
                                     title=f"generated, Time effort {k}"))  # fmt: skip
            for path in paths:
                ctx.logger.experiment.log_artifact(ctx.logger.run_id, str(path), "animations")
    return metrics, matrices
