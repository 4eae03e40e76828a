"""The interpretability report of a trained model, logged as figures and metrics of the run."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from polymath.counting_transformers import analysis, plots

if TYPE_CHECKING:
    from polymath.counting_transformers.datamodule import CountingDataModule
    from polymath.counting_transformers.module import CountingModule
    from polymath.foundation import RunContext


def _log(ctx: RunContext, figure, name: str) -> None:
    ctx.log_figure(figure, name)
    plots.plt.close(figure)


def report(ctx: RunContext, module: CountingModule, datamodule: CountingDataModule) -> None:
    """Attention maps of one sample, the decoder's bias-token shares, a PCA of 1-token encodings
    by region, and out-of-distribution accuracy against length and number of regions."""
    datamodule.prepare_data()
    model = module.model.eval()
    batch = next(iter(datamodule.test_dataloader()[0]))
    batch = {k: v.to(module.device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}

    shares = analysis.attention_shares(model, batch)
    ctx.log_metrics({f"report/attention_{name}": value for name, value in shares.items()})
    _log(ctx, plots.bias_shares(shares), "bias_tokens")

    length = int((batch["tokens"][0] != 0).sum())
    regions = int(batch["query_mask"][0].sum())
    with torch.no_grad():
        _, maps = model(
            batch["tokens"][:1, :length], batch["queries"][:1, :regions], return_attention=True
        )
    encoder = maps["encoder"][-1][0].mean(0).cpu()
    cross = maps["decoder_cross"][-1][0].mean(0).cpu()
    _log(ctx, plots.attention_maps(batch["tokens"][0, :length].cpu(), encoder, cross), "attention")

    points, labels = analysis.one_token_pca(model, batch)
    _log(ctx, plots.one_token_pca(points.cpu(), labels.cpu()), "one_token_pca")

    if len(module.results) > 1:
        task = datamodule.task
        if isinstance(task["length"], int) and isinstance(task["regions"], int):
            figure = plots.ood_accuracy(module.results, task["length"], task["regions"])
            _log(ctx, figure, "ood_accuracy")
