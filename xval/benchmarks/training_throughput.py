"""Training samples/s per encoding at the same model size, on the same planet records, in one run.

xVal writes one token per number, P10 five: this measures how much faster the shorter sequences
train. Each encoding trains ``--steps`` steps after two warm-up steps; only training batches are timed.

    python benchmarks/training_throughput.py [--steps 20] [--d-model 128] [--threads 2]
"""

from __future__ import annotations

import argparse
import tempfile

import torch
from lightning import Trainer

from polymath.xval.data.datamodule import XvalDataModule
from polymath.xval.encodings import ENCODINGS
from polymath.xval.module import NumformerModule
from polymath.xval.throughput import TrainingThroughput


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--d-model", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rates = {}
    with tempfile.TemporaryDirectory() as folder:
        for encoding in ENCODINGS:
            datamodule = XvalDataModule(
                task="planets",
                encoding=encoding,
                n_train=256,
                n_val=0,
                n_test=0,
                batch_size=args.batch_size,
                data_dir=folder,
                n_planets=(2, 3),
                n_steps=(10, 10),
                orbits=(3.0, 4.0),
            )
            module = NumformerModule(d_model=args.d_model, n_heads=4, n_layers=2, context=1024)
            throughput = TrainingThroughput(skip=2)
            Trainer(
                max_steps=args.steps + 2,
                logger=False,
                enable_checkpointing=False,
                enable_progress_bar=False,
                enable_model_summary=False,
                limit_val_batches=0,
                callbacks=[throughput],
            ).fit(module, datamodule=datamodule)
            rates[encoding] = throughput.samples_per_second
            tokens = throughput.tokens / max(throughput.samples, 1)
            print(
                f"{encoding:6s} {throughput.samples_per_second:8.1f} samples/s "
                f"{throughput.tokens_per_second:10,.0f} tokens/s  {tokens:6.1f} tokens/sample",
                flush=True,
            )
    print(
        "samples/s relative to p10: "
        + ", ".join(f"{e} {rates[e] / rates['p10']:.2f}" for e in ENCODINGS)
    )


if __name__ == "__main__":
    main()
