"""A `run:` experiment: fits one model per learning rate without sub-runs (contract example)."""


def compare_lrs(ctx, lrs: list[float] = (0.01, 0.1), label: str = "lr") -> dict[str, float]:
    metrics = {}
    for lr in lrs:
        module, datamodule = ctx.build_module(lr=lr), ctx.build_datamodule()
        trainer = ctx.trainer(logger=False, progress="none")
        trainer.fit(module, datamodule=datamodule)
        trainer.test(module, datamodule=datamodule, verbose=False)
        metrics[f"{label}/{lr:g}/test_loss"] = float(trainer.callback_metrics["test/loss"])
    ctx.log_table([{"lr": lr} for lr in lrs], "lrs")
    return metrics
