"""Recipe experiments: align, then evaluate the embeddings zero-shot and by retrieval."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from polymath.astroclip.data.simulate import PROPERTIES
from polymath.astroclip.evaluation import embed, retrieval_metrics, zero_shot_table
from polymath.astroclip.plots import similarity_figure


def _targets(datamodule, split: str) -> dict[str, np.ndarray]:
    columns = datamodule.properties(split)
    return {k: columns[k] for k in ("redshift", *PROPERTIES) if k in columns}


def align_and_evaluate(ctx, k: int = 64) -> dict[str, float]:
    """Fit the CLIP alignment, then: zero-shot k-NN R² of redshift and properties from each
    embedding (aligned and backbone), and cross-modal retrieval against chance."""
    module, datamodule = ctx.build_module(), ctx.build_datamodule()
    trainer = ctx.trainer()
    ctx.fit(trainer, module, datamodule)
    trainer.test(module, datamodule=datamodule, verbose=False)
    metrics = {k_: float(v) for k_, v in trainer.callback_metrics.items()}
    if trainer.global_rank != 0:
        return metrics

    model = module.model.cpu()
    train = embed(model, datamodule.split_dataloader("train"))
    test = embed(model, datamodule.test_dataloader())
    rows = zero_shot_table(
        train, test, _targets(datamodule, "train"), _targets(datamodule, "test"), k
    )
    ctx.log_table(rows, "zero_shot_r2")
    for row in rows:
        metrics.update(
            {
                f"zero_shot/{row['embedding']}/{t}": float(v)
                for t, v in row.items()
                if t != "embedding"
            }
        )
    retrieval = []
    for query, candidate in (("image", "spectrum"), ("spectrum", "image")):
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
            **{name: value.numpy() for name, value in test.items()},
            targetids=datamodule.pairs["test"]["targetids"],
        )
        if ctx.logger is not None:
            ctx.logger.experiment.log_artifact(ctx.logger.run_id, str(path), "embeddings")
    ctx.log_metrics(
        {k_: v for k_, v in metrics.items() if k_.startswith(("zero_shot", "retrieval"))}
    )
    ctx.log_model(module)
    return metrics
