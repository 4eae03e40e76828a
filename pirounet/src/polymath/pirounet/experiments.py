"""The headline experiment: PirouNet's classifier against chance and against the same classifier
trained on the labelled windows alone, on the same windows."""

from __future__ import annotations

import numpy as np
from lightning import seed_everything

from polymath.foundation import RunContext
from polymath.pirounet.module import LabelledOnlyModule, PirouNetModule
from polymath.pirounet.plots import confusion_figure


def compare(ctx: RunContext, baseline: bool = True) -> dict[str, float]:
    """Fits PirouNet (M2), tests it, then (``baseline``) fits its classifier alone by cross-entropy
    on the labelled training windows for as many updates as PirouNet's classifier had.

    Returns test accuracy and AJD of PirouNet, the baseline's test accuracy, and two chance levels:
    uniform (1 / labels) and the majority class of the test windows.
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
    if baseline:
        seed_everything(seed, workers=True, verbose=False)
        h = module.hparams
        alone = LabelledOnlyModule(h.seq_len, h.features, h.n_labels, h.classifier_hidden,
                                   h.classifier_layers, h.lr)  # fmt: skip
        fitter = ctx.trainer(logger=False, max_steps=trainer.global_step, max_epochs=None)
        fitter.fit(alone, train_dataloaders=data.labelled_dataloader(),
                   val_dataloaders=data.val_dataloader())  # fmt: skip
        (alone_tested,) = fitter.test(alone, dataloaders=data.test_dataloader(), verbose=False)
        metrics["baseline/test_accuracy"] = alone_tested["test/accuracy"]
        matrices["labelled windows alone"] = alone.test_confusion.compute().cpu().numpy()
    ctx.log_metrics(metrics)
    ctx.log_figure(confusion_figure(matrices), "confusion.png")
    rows = [{"model": name, "true": k, **{f"predicted {j}": round(float(v), 3) for j, v in enumerate(row)}}
            for name, matrix in matrices.items() for k, row in enumerate(matrix)]  # fmt: skip
    ctx.log_table(rows, "confusion")
    ctx.log_model(module)
    print("pirounet: " + ", ".join(f"{k} {v:.4g}" for k, v in metrics.items()), flush=True)
    return metrics
