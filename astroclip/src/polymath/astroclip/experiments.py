"""Recipe experiments: align then evaluate the embeddings (zero-shot, few-shot, retrieval,
morphology); evaluate a logged model; pretrain the image encoder and probe it against a
random-init one; train the supervised baselines."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from sklearn.metrics import r2_score

from polymath.astroclip.baselines import aperture_magnitudes
from polymath.astroclip.data.datamodule import ArrayDataModule
from polymath.astroclip.data.preprocess import preprocess_images
from polymath.astroclip.data.simulate import PROPERTIES
from polymath.astroclip.evaluation import (
    RETRIEVALS,
    embed,
    knn_predict,
    morphology_table,
    regression_table,
    retrieval_metrics,
)
from polymath.astroclip.plots import redshift_figure, similarity_figure


def _targets(datamodule, split: str) -> dict[str, np.ndarray]:
    columns = datamodule.properties(split)
    return {k: columns[k] for k in ("redshift", *PROPERTIES) if k in columns}


def _fit_and_test(ctx):
    """The recipe's module and datamodule, fitted and tested; the trainer and its test metrics."""
    module, datamodule = ctx.build_module(), ctx.build_datamodule()
    trainer = ctx.trainer()
    ctx.fit(trainer, module, datamodule)
    trainer.test(module, datamodule=datamodule, verbose=False)
    metrics = {key: float(value) for key, value in trainer.callback_metrics.items()}
    return module, datamodule, trainer, metrics


def align_and_evaluate(ctx, k: int = 64) -> dict[str, float]:
    """Fit the CLIP alignment, then: zero-shot k-NN and few-shot MLP R² of redshift and
    properties from each embedding (aligned and backbone), and cross-modal and in-modal retrieval
    against chance."""
    module, datamodule, trainer, metrics = _fit_and_test(ctx)
    if trainer.global_rank != 0:
        return metrics
    metrics.update(evaluate_embeddings(ctx, module, datamodule, k))
    ctx.log_model(module)
    return metrics


def evaluate(ctx, k: int = 64) -> dict[str, float]:
    """Evaluate an aligned model (``model.init_from=<run id>``) without training: the test
    CLIP loss, regressions and retrieval of ``align_and_evaluate``."""
    if not ctx.config["model"].get("init_from"):
        raise ValueError("evaluate needs model.init_from=<run id, models:/ URI or model file>")
    module, datamodule = ctx.build_module(), ctx.build_datamodule()
    trainer = ctx.trainer()
    trainer.test(module, datamodule=datamodule, verbose=False)
    metrics = {k_: float(v) for k_, v in trainer.callback_metrics.items()}
    metrics.update(evaluate_embeddings(ctx, module, datamodule, k))
    return metrics


def evaluate_embeddings(ctx, module, datamodule, k: int = 64) -> dict[str, float]:
    """Embeds the splits and logs the R² tables, retrieval, the similarity figure and the test
    embeddings; returns their metrics."""
    metrics: dict[str, float] = {}
    model = module.model.cpu()
    train = embed(model, datamodule.split_dataloader("train"))
    test = embed(model, datamodule.test_dataloader(), views=True)
    views = {name: test.pop(name) for name in ("image_view", "spectrum_view")}
    rows = regression_table(
        train, test, _targets(datamodule, "train"), _targets(datamodule, "test"), k
    )
    ctx.log_table(rows, "regression_r2")
    for row in rows:
        prefix = row["method"].replace("-", "_")
        metrics.update(
            {
                f"{prefix}/{row['embedding']}/{t}": float(v)
                for t, v in row.items()
                if t not in ("embedding", "method")
            }
        )
    votes = {split: datamodule.morphology(split) for split in ("train", "test")}
    if votes["train"]:
        morphology = morphology_table(train, test, votes["train"], votes["test"], k=k)
        ctx.log_table(morphology, "morphology_accuracy")
        for row in morphology:
            prefix = f"morphology/{row['method'].replace('-', '_').replace(' ', '_')}"
            metrics.update(
                {
                    f"{prefix}/{row['embedding']}/{q}": float(v)
                    for q, v in row.items()
                    if q not in ("embedding", "method")
                }
            )
    redshifts = {s: datamodule.pairs[s]["redshifts"] for s in ("train", "test")}
    predicted = {
        name: knn_predict(train[name].numpy(), redshifts["train"], test[name].numpy(), k)
        for name in ("image", "spectrum", "image_backbone", "spectrum_backbone")
    }
    zero_shot = {row["embedding"]: row["redshift"] for row in rows if row["method"] == "zero-shot"}
    ctx.log_figure(
        redshift_figure(redshifts["test"], predicted, zero_shot), "redshift_zero_shot.png"
    )
    test.update(views)
    retrieval = []
    for query, candidate in RETRIEVALS:
        values = retrieval_metrics(test[query], test[candidate])
        retrieval.append({"query": query, "candidates": candidate, **values})
        metrics.update({f"retrieval/{query}_to_{candidate}/{m}": v for m, v in values.items()})
    ctx.log_table(retrieval, "retrieval")
    ctx.log_figure(
        similarity_figure(datamodule.test_set, test, datamodule.pairs["test"]["redshifts"]),
        "similarity_search.png",
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "embeddings.npz"
        np.savez(
            path,
            **{name: value.numpy() for name, value in test.items() if name not in views},
            targetids=datamodule.pairs["test"]["targetids"],
        )
        if ctx.logger is not None:
            ctx.logger.experiment.log_artifact(ctx.logger.run_id, str(path), "embeddings")
    ctx.log_metrics(metrics)
    return metrics


def pretrain_image_and_probe(ctx, k: int = 64) -> dict[str, float]:
    """AstroDINO pretraining, then the paper's unaligned test: zero-shot k-NN R² of redshift and
    the properties from the teacher's CLS embedding, beside a random-init ViT of the same shape
    (what pretraining must beat) and the Galaxy Zoo accuracy of both."""
    module, datamodule, trainer, metrics = _fit_and_test(ctx)
    if trainer.global_rank != 0:
        return metrics
    ctx.log_model(module)
    with torch.random.fork_rng():
        torch.manual_seed(ctx.config["model"].get("seed", 0))
        random_init = type(module.model)(**module.model.model_args)
    encoders = {"pretrained": module.model.cpu(), "random_init": random_init}
    targets = {s: _targets(datamodule, s) for s in ("train", "test")}
    votes = {s: datamodule.morphology(s) for s in ("train", "test")}
    regression, morphology = [], []
    for name, encoder in encoders.items():
        cls = {s: embed_images(encoder, datamodule, s) for s in ("train", "test")}
        row: dict[str, float | str] = {"encoder": name}
        for target in targets["train"]:
            row[target] = float(
                r2_score(
                    targets["test"][target],
                    knn_predict(cls["train"], targets["train"][target], cls["test"], k),
                )
            )
            metrics[f"zero_shot/{name}/{target}"] = row[target]
        regression.append(row)
        if votes["train"]:
            table = morphology_table(
                {name: torch.from_numpy(cls["train"])},
                {name: torch.from_numpy(cls["test"])},
                votes["train"],
                votes["test"],
                embeddings=(name,),
                k=k,
            )
            morphology += table if name == "pretrained" else table[1:]
            metrics[f"morphology/zero_shot/{name}/mean"] = table[1]["mean"]
    ctx.log_table(regression, "unaligned_knn_r2")
    if morphology:
        ctx.log_table(morphology, "morphology_accuracy")
    ctx.log_metrics(metrics)
    return metrics


@torch.no_grad()
def embed_images(encoder, datamodule, split: str) -> np.ndarray:
    """The normed CLS embedding of a split's centre-cropped images (the paper's downstream
    embedding of AstroDINO)."""
    encoder.eval()
    batches = [
        encoder.embed(preprocess_images(batch["images"]))
        for batch in datamodule.split_dataloader(split)
    ]
    return torch.cat(batches).numpy()


def supervised_baselines(
    ctx, kinds: list[Literal["image", "spectrum", "photometry"]] | None = None
) -> dict[str, float]:
    """Trains each supervised baseline (ResNet on images, Conv+Att on spectra, MLP on aperture
    photometry) on the training split's redshift and properties, and logs test R² per target."""
    datamodule = ctx.build_datamodule()
    datamodule.prepare_data()
    datamodule.setup()
    targets = {split: _targets(datamodule, split) for split in ("train", "test")}
    names = list(targets["train"])
    y = {s: np.column_stack([targets[s][n] for n in names]).astype(np.float32) for s in targets}
    mean, std = y["train"].mean(0), y["train"].std(0) + 1e-12
    magnitudes = {s: aperture_magnitudes(datamodule.pairs[s]["images"]) for s in targets}
    centre, scale = magnitudes["train"].mean(0), magnitudes["train"].std(0) + 1e-6
    inputs = {
        "image": lambda s: datamodule.pairs[s]["images"],
        "spectrum": lambda s: datamodule.pairs[s]["spectra"],
        "photometry": lambda s: (magnitudes[s] - centre) / scale,  # standardised on train
    }
    rows, metrics = [], {}
    for kind in kinds or list(inputs):
        arrays = ArrayDataModule(
            (inputs[kind]("train"), (y["train"] - mean) / std),
            (inputs[kind]("test"), (y["test"] - mean) / std),
            batch_size=datamodule.hparams.batch_size,
        )
        module = ctx.build_module(kind=kind, outputs=len(names))
        trainer = ctx.trainer(checkpoint_dir=str(ctx.workdir / "checkpoints" / kind))
        ctx.fit(trainer, module, arrays)
        predicted = torch.cat(trainer.predict(module, datamodule=arrays)).numpy() * std + mean
        row: dict[str, float | str] = {"input": kind, "model": type(module.model).__name__}
        for i, name in enumerate(names):
            row[name] = float(r2_score(y["test"][:, i], predicted[:, i]))
            metrics[f"supervised/{kind}/{name}"] = row[name]
        properties = [row[n] for n in names if n != "redshift"]
        if properties:
            row["properties_mean"] = metrics[f"supervised/{kind}/properties_mean"] = float(
                np.mean(properties)
            )
        rows.append(row)
    ctx.log_table(rows, "supervised_r2")
    ctx.log_metrics(metrics)
    return metrics
