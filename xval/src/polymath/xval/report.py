"""What a fitted run logs besides its metrics: parity heat maps, tokenizer and scaler."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from polymath.xval import plots

if TYPE_CHECKING:
    from polymath.foundation import RunContext
    from polymath.xval.data.datamodule import XvalDataModule
    from polymath.xval.module import NumformerModule


def report(ctx: RunContext, module: NumformerModule, datamodule: XvalDataModule) -> None:
    for name, predictions in module.predictions.items():
        if name.startswith("test"):
            figure = plots.parity(predictions, f"{datamodule.encoding} · {name}")
            ctx.log_figure(figure, f"parity_{name.replace('/', '_')}")
            plots.plt.close(figure)
    if ctx.logger is None:
        return
    with tempfile.TemporaryDirectory() as folder:
        datamodule.tokenizer.save(Path(folder) / "tokenizer.json")
        (Path(folder) / "scaler.json").write_text(json.dumps(datamodule.scaler.to_dict()))
        ctx.logger.experiment.log_artifacts(ctx.logger.run_id, folder, "tokenizer")
