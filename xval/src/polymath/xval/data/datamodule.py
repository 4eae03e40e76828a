"""XvalDataModule: generated records in foundation's shards, tokenized per batch for one encoding.

``prepare_data`` simulates the task's records once per configuration (train, val, test and, with
an ``ood_band``, an out-of-distribution test set), or reads them from the reference's files (one
JSON record per line, ``records_dir``), into webdataset shards under ``data_dir`` (default:
foundation's cache folder, ``$POLYMATH_CACHE/xval``), fits the scaler on the training records and
checks every other record against it; every encoding reads the same shards. Batches of records
are tokenized in ``on_before_batch_transfer``: masked at random for training, one row per target
number for evaluation. The test loaders are ``[in-distribution, out-of-distribution]``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
from torch.utils.data import DataLoader

from polymath.foundation.cache import cache_dir
from polymath.foundation.data import ShardDataModule, write_shards
from polymath.xval.data.arithmetic import ArithmeticConfig, generate_arithmetic
from polymath.xval.data.batching import Batcher
from polymath.xval.data.formats import numbered_jsonl
from polymath.xval.data.planets import PlanetConfig, generate_planets
from polymath.xval.data.tasks import TASKS, RecordError
from polymath.xval.encodings import Encoding, check_encoding
from polymath.xval.numbers import extract_numbers
from polymath.xval.scaler import KeyScaler
from polymath.xval.tokenizer import NumberTokenizer

SPLITS = ("train", "val", "test", "ood")
SCALER_FILE = "scaler.json"
SHARDS_PER_SPLIT = 32  # enough for ranks x DataLoader workers to each get their own shards


class XvalDataModule(ShardDataModule):
    """Planets or arithmetic in one of the five encodings.

    ``ood_band`` holds out an interval: of the outermost semi-major axis for planets, of operand
    magnitudes for arithmetic. Planet sizes (``n_planets``, ``n_steps``, ``orbits``) default to the
    reference's; CPU recipes make them smaller. ``records_dir`` replaces the simulator by a folder
    of the reference's files, ``train.jsonl`` and optionally ``val.jsonl``, ``test.jsonl`` and
    ``ood.jsonl`` (one JSON record per line); the sizes, bands and generator settings are then
    those of the files.

    ``seed`` decides the simulated records and the training masks; ``order_seed`` (default: ``seed``)
    decides only the order in which training reads them (the shuffle of shards and samples), so
    that the same records can be trained on in other orders: a short fit's error depends on it.
    """

    def __init__(
        self,
        task: Literal["planets", "arithmetic"] = "planets",
        encoding: Encoding = "xval",
        n_train: int = 2000,
        n_val: int = 128,
        n_test: int = 256,
        n_ood: int = 256,
        ood_band: tuple[float, float] | None = None,
        batch_size: int = 32,
        mask_prob: float = 0.3,
        target_mask_prob: float | None = None,
        seed: int = 0,
        order_seed: int | None = None,
        data_dir: str | None = None,
        num_workers: int = 0,
        n_planets: tuple[int, int] = (2, 5),
        n_steps: tuple[int, int] = (30, 59),
        orbits: tuple[float, float] = (15.0, 24.0),
        arithmetic: Literal["multiplication", "expressions"] = "multiplication",
        digits: list[int] | None = None,
        n_operands: tuple[int, int] = (2, 3),
        records_dir: str | None = None,
    ) -> None:
        check_encoding(encoding)
        generator = _generator_config(
            task, n_planets, n_steps, orbits, arithmetic, digits or [1, 2], n_operands, ood_band
        )
        if records_dir is None:
            sizes = {
                "train": n_train,
                "val": n_val,
                "test": n_test,
                "ood": n_ood if ood_band else 0,
            }
            digest = _digest([generator, sizes, seed])
        else:
            sizes, digest = _record_files(Path(records_dir))
        # The layout decides the order in which training reads the records, and a short fit's
        # error depends on that order (README): shards of another layout are never reused.
        folder = (
            Path(data_dir) if data_dir else cache_dir("xval")
        ) / f"{task}-{digest}-{SHARDS_PER_SPLIT}-shards"
        paths = {split: str(folder / split) if sizes[split] else None for split in SPLITS}
        super().__init__(
            train=paths["train"],
            val=paths["val"],
            test=paths["test"],
            batch_size=batch_size,
            num_workers=num_workers,
        )
        self.save_hyperparameters()
        # foundation's loaders shuffle with hparams.seed: there it is the order's seed
        self.data_seed = seed
        self.hparams["seed"] = seed if order_seed is None else order_seed
        self.task, self.encoding, self.folder = task, encoding, folder
        self.generator, self.sizes, self.paths = generator, sizes, paths
        self.tokenizer = NumberTokenizer.build(encoding, TASKS[task][1])
        self.scaler: KeyScaler | None = None
        self.rng = np.random.default_rng(seed)

    def prepare_data(self) -> None:
        """Writes every split that has no shards yet (simulated, or read from ``records_dir``),
        fits the scaler on ``train``, and refuses a record that the task cannot read or whose
        numbers fall outside the scaler's range, naming where it came from."""
        for offset, split in enumerate(SPLITS):
            path = self.paths[split]
            written = path is not None and not (Path(path) / "manifest.json").exists()
            if written:
                scaler = None if split == "train" else KeyScaler.load(self.folder / SCALER_FILE)
                seed = self.data_seed * 10 + offset
                records = self._checked(self._records(split, seed), scaler)
                samples = ({"__key__": f"{i:08d}", "record": r} for i, r in enumerate(records))
                per_shard = -(-self.sizes[split] // SHARDS_PER_SPLIT)
                write_shards(samples, path, max_count=per_shard, overwrite=True)
            if split == "train" and (written or not (self.folder / SCALER_FILE).exists()):
                self._fit_scaler()

    def _records(self, split: str, seed: int) -> Iterator[tuple[str, dict]]:
        """``(where, record)``: a file and line, or the split and index of a simulated record."""
        if self.hparams.records_dir is not None:
            path = Path(self.hparams.records_dir) / f"{split}.jsonl"
            for line, record in numbered_jsonl(path):
                yield f"{path}:{line}", record
            return
        count, band = self.sizes[split], "ood" if split == "ood" else "train"
        if self.task == "planets":
            records = generate_planets(count, seed, PlanetConfig(**self.generator), band)
        else:
            records = generate_arithmetic(count, seed, ArithmeticConfig(**self.generator), band)
        for i, record in enumerate(records):
            yield f"simulated {split} record {i}", record

    def _checked(
        self, records: Iterator[tuple[str, dict]], scaler: KeyScaler | None
    ) -> Iterator[dict]:
        render = TASKS[self.task][0]
        for where, record in records:
            try:
                sample = render(record)
                if scaler is not None:
                    scaler.transform(sample.keys, extract_numbers(sample.text).values)
            except ValueError as error:
                raise RecordError(f"{where}: {error}") from None
            yield record

    def _fit_scaler(self) -> None:
        from polymath.foundation.data import shard_dataset

        render = TASKS[self.task][0]
        by_key: dict[str, list[float]] = {}
        for sample in shard_dataset(self.paths["train"], fields=["record"]):
            rendered = render(sample["record"])
            for key, value in zip(
                rendered.keys, extract_numbers(rendered.text).values, strict=True
            ):
                by_key.setdefault(key, []).append(float(value))
        KeyScaler.fit(by_key).save(self.folder / SCALER_FILE)

    def setup(self, stage: str | None = None) -> None:
        self.scaler = KeyScaler.load(self.folder / SCALER_FILE)
        self.batcher = Batcher(
            self.task,
            self.tokenizer,
            self.scaler,
            self.hparams.mask_prob,
            self.hparams.target_mask_prob,
        )

    def test_dataloader(self) -> list[DataLoader]:
        loaders = [self._loader("test")]
        if self.paths["ood"] is not None:
            self.sources["ood"] = self.paths["ood"]
            loaders.append(self._loader("ood"))
        return loaders

    def on_before_batch_transfer(self, batch: dict[str, Any], dataloader_idx: int) -> dict:
        records = batch["record"]
        if self.trainer is not None and self.trainer.training:
            return self.batcher.training_batch(records, self.rng)
        return self.batcher.evaluation_batch(records)


def _generator_config(
    task: str,
    n_planets: tuple[int, int],
    n_steps: tuple[int, int],
    orbits: tuple[float, float],
    arithmetic: str,
    digits: list[int],
    n_operands: tuple[int, int],
    ood_band: tuple[float, float] | None,
) -> dict[str, Any]:
    band = tuple(ood_band) if ood_band else None
    if task == "planets":
        return {
            "n_planets": tuple(n_planets),
            "n_steps": tuple(n_steps),
            "orbits": tuple(orbits),
            "ood_band": band,
        }
    if task == "arithmetic":
        operand_band = tuple(int(v) for v in band) if band else None
        return {
            "kind": arithmetic,
            "digits": tuple(digits),
            "n_operands": tuple(n_operands),
            "ood_band": operand_band,
        }
    raise ValueError(f"unknown task {task!r} (choose one of: {', '.join(TASKS)})")


def _record_files(folder: Path) -> tuple[dict[str, int], str]:
    """Records per split in ``folder``'s ``<split>.jsonl`` files (train required), and a digest
    of their contents, so that edited files make new shards."""
    if not (folder / "train.jsonl").is_file():
        raise FileNotFoundError(f"records_dir {folder} has no train.jsonl")
    sizes, digest = {}, hashlib.sha1()
    for split in SPLITS:
        path = folder / f"{split}.jsonl"
        sizes[split] = 0
        if path.is_file():
            data = path.read_bytes()
            digest.update(split.encode() + data)
            sizes[split] = sum(1 for line in data.splitlines() if line.strip())
    return sizes, "files-" + digest.hexdigest()[:10]


def _digest(value: Any) -> str:
    return hashlib.sha1(json.dumps(value, sort_keys=True, default=list).encode()).hexdigest()[:10]
