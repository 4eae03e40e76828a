"""Training steps/s of the quick model through foundation's build_trainer against a hand-written
torch loop on the same model and data, and tokens/s of the generator.

    python benchmarks/training_throughput.py [--steps 200] [--threads 1]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from lightning import Callback

from polymath.counting_transformers.data import IGNORE, generate
from polymath.counting_transformers.datamodule import CountingStream
from polymath.counting_transformers.module import CountingModule
from polymath.counting_transformers.recipes import RECIPES
from polymath.foundation import build_trainer


class StepTimer(Callback):
    """Times the steps after the first ``warmup`` ones, as the hand-written loop does."""

    def __init__(self, warmup: int) -> None:
        self.warmup, self.started = warmup, None

    def on_train_batch_start(self, trainer, module, batch, batch_idx) -> None:
        if trainer.global_step == self.warmup and self.started is None:
            self.started = time.perf_counter()


def lightning_steps_per_second(config: dict, steps: int, warmup: int) -> float:
    module = CountingModule(**config["model"])
    stream = CountingStream(
        config["data"]["batch_size"],
        seed=0,
        length=config["data"]["length"],
        regions=config["data"]["regions"],
    )
    loader = torch.utils.data.DataLoader(stream, batch_size=None)
    timer = StepTimer(warmup)
    trainer = build_trainer(
        {
            "max_steps": steps + warmup,
            "progress": "none",
            "gradient_clip_val": 1.0,
            "limit_val_batches": 0,
            "log_every_n_steps": 50,
        },
        callbacks=[timer],
    )
    trainer.fit(module, train_dataloaders=loader)
    return steps / (time.perf_counter() - timer.started)


def torch_steps_per_second(config: dict, steps: int, warmup: int) -> float:
    module = CountingModule(**config["model"])
    model = module.model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=config["model"]["lr"], weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    stream = iter(
        CountingStream(
            config["data"]["batch_size"],
            seed=0,
            length=config["data"]["length"],
            regions=config["data"]["regions"],
        )
    )
    for step in range(steps + warmup):
        if step == warmup:
            started = time.perf_counter()
        batch = next(stream)
        logits = model(batch["tokens"], batch["queries"], batch["query_mask"])
        loss = torch.nn.functional.cross_entropy(
            logits.flatten(0, 1), batch["counts"].flatten(), ignore_index=IGNORE
        )
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
    return steps / (time.perf_counter() - started)


def generator_tokens_per_second(length: int, regions: int, batch: int, repeats: int) -> float:
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    for _ in range(repeats):
        generate(batch, length=length, regions=regions, seed=rng)
    return batch * length * repeats / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = RECIPES["quick"].config
    data = config["data"]
    print(
        f"quick model: length {data['length']}, {data['regions']} regions, batch "
        f"{data['batch_size']}, d_model {config['model']['d_model']}, {args.threads} thread(s)"
    )
    plain = torch_steps_per_second(config, args.steps, args.warmup)
    foundation = lightning_steps_per_second(config, args.steps, args.warmup)
    print(f"hand-written torch loop : {plain:8.1f} steps/s")
    print(f"foundation build_trainer: {foundation:8.1f} steps/s")
    print(f"ratio foundation / torch: {foundation / plain:8.2f}")
    for length in (64, 512):
        rate = generator_tokens_per_second(length, 4, data["batch_size"], repeats=50)
        print(f"generator, length {length:4d}: {rate / 1e6:8.2f} M tokens/s")


if __name__ == "__main__":
    main()
