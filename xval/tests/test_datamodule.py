import re

import numpy as np
import pytest
import torch
from lightning import Trainer

from polymath.xval.data.datamodule import XvalDataModule
from polymath.xval.module import NumformerModule
from polymath.xval.scaler import ScalerRangeError
from polymath.xval.tokenizer import MASK, NUM

ARITHMETIC = dict(task="arithmetic", n_train=64, n_val=16, n_test=16, n_ood=16, ood_band=(40, 60))


def prepared(encoding: str, **kw) -> XvalDataModule:
    datamodule = XvalDataModule(**{**ARITHMETIC, **kw, "encoding": encoding}, batch_size=8)
    datamodule.prepare_data()
    datamodule.setup("fit")
    return datamodule


def records(n: int = 4) -> list[dict]:
    return [{"expression": f"{a}*{a + 1}", "result": a * (a + 1)} for a in range(3, 3 + n)]


def test_training_masks_whole_numbers_and_targets(in_tmp):
    datamodule = prepared("p10", target_mask_prob=1.0, mask_prob=0.0)
    batch = datamodule.batcher.training_batch(records(), np.random.default_rng(0))
    for row in range(4):
        masked = batch["masked"][row]
        assert masked.sum() == 5  # only the product, all 5 of its p10 tokens
        assert (batch["masked_ids"][row][masked] == MASK).all()
        assert (batch["ids"][row][masked] != MASK).all()


def test_evaluation_has_one_row_per_target_with_its_scaled_truth(in_tmp):
    datamodule = prepared("xval")
    batch = datamodule.batcher.evaluation_batch(records(3))
    assert batch["keys"] == ["result"] * 3
    factor = datamodule.scaler.factors["result"]
    np.testing.assert_allclose(batch["truth"], [12 * factor, 20 * factor, 30 * factor], rtol=1e-6)
    target_ids = batch["ids"][batch["target"]]
    assert (target_ids == NUM).all() and len(target_ids) == 3
    np.testing.assert_allclose(batch["values"][batch["target"]], batch["truth"], rtol=1e-6)
    assert (batch["masked_ids"][batch["target"]] == MASK).all()


def test_every_encoding_reads_the_same_shards(in_tmp):
    first = prepared("xval")
    manifest = first.folder / "train" / "manifest.json"
    stamp = manifest.stat().st_mtime_ns
    second = prepared("fp15")
    assert second.folder == first.folder
    assert manifest.stat().st_mtime_ns == stamp


def test_shards_of_another_layout_are_not_reused(in_tmp, monkeypatch):
    from polymath.xval.data import datamodule

    first = prepared("xval")
    monkeypatch.setattr(datamodule, "SHARDS_PER_SPLIT", 4)
    second = prepared("xval")
    assert second.folder != first.folder
    assert len(list((first.folder / "train").rglob("*.tar"))) == 32
    assert len(list((second.folder / "train").rglob("*.tar"))) == 4


def training_order(datamodule: XvalDataModule) -> list[int]:
    return [r["result"] for batch in datamodule.train_dataloader() for r in batch["record"]]


def test_order_seed_reorders_the_same_records(in_tmp):
    default = prepared("xval", seed=3)
    assert training_order(default) == training_order(prepared("xval", seed=3, order_seed=3))
    reordered = prepared("xval", seed=3, order_seed=4)
    assert reordered.folder == default.folder  # the same shards, not new records
    first, second = training_order(default), training_order(reordered)
    assert sorted(first) == sorted(second) and len(first) == 64
    assert first != second


def test_records_dir_trains_on_the_reference_files(in_tmp):
    from polymath.foundation.data import shard_dataset
    from polymath.xval.data.formats import write_jsonl

    train = records(20)
    write_jsonl(train, in_tmp / "records" / "train.jsonl")
    write_jsonl(records(3), in_tmp / "records" / "test.jsonl")
    datamodule = prepared("xval", records_dir=str(in_tmp / "records"))
    assert datamodule.paths["val"] is None and datamodule.paths["ood"] is None
    read = [s["record"] for s in shard_dataset(datamodule.paths["train"], fields=["record"])]
    assert sorted(r["result"] for r in read) == sorted(r["result"] for r in train)
    assert datamodule.scaler.factors["result"] == pytest.approx(2.0 / (22 * 23))
    write_jsonl(records(21), in_tmp / "records" / "train.jsonl")  # new contents, new shards
    assert prepared("xval", records_dir=str(in_tmp / "records")).folder != datamodule.folder
    with pytest.raises(FileNotFoundError, match="records_dir nowhere has no train.jsonl"):
        XvalDataModule(records_dir="nowhere")


@pytest.mark.parametrize(
    ("test_lines", "message"),
    [
        (['{"expression": "2*3", "result": 6}', '{"expression": '], "test.jsonl:2: not JSON"),
        (['{"expression": "2*3"}'], "test.jsonl:1: not an arithmetic record (KeyError"),
        (
            ['{"expression": "2*3", "result": 6}', '{"expression": "900*9", "result": 8100}'],
            "test.jsonl:2: value 900 of key 'operand' is outside the scaler's range",
        ),
    ],
)
def test_bad_records_are_refused_before_training_naming_file_and_line(in_tmp, test_lines, message):
    from polymath.xval.data.formats import write_jsonl
    from polymath.xval.data.tasks import RecordError

    write_jsonl(records(20), in_tmp / "records" / "train.jsonl")
    (in_tmp / "records" / "test.jsonl").write_text("\n".join(test_lines) + "\n")
    with pytest.raises(RecordError, match=re.escape(message)):
        prepared("xval", records_dir=str(in_tmp / "records"))
    assert list(in_tmp.glob("cache/xval/*/train/manifest.json"))
    assert not list(in_tmp.glob("cache/xval/*/test/manifest.json"))  # nothing half-written


def test_a_value_outside_the_scaler_range_is_named(in_tmp):
    datamodule = prepared("xval")
    with pytest.raises(
        ScalerRangeError, match="value 999 of key 'operand' is outside the scaler's range"
    ):
        datamodule.batcher.evaluation_batch([{"expression": "999*999", "result": 998001}])


@pytest.mark.parametrize("causal", [False, True])
def test_a_short_fit_lowers_the_loss_and_tests_in_and_out_of_distribution(in_tmp, causal):
    torch.manual_seed(0)
    datamodule = prepared("xval", target_mask_prob=1.0)
    module = NumformerModule(
        d_model=32, n_heads=2, n_layers=1, context=32, dropout=0.0, lr=3e-3, causal=causal
    )
    trainer = Trainer(
        max_steps=40,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=0,
    )
    batch = datamodule.batcher.training_batch(records(8), np.random.default_rng(0))
    trainer.fit(module, datamodule=datamodule)
    module.eval()
    with torch.no_grad():
        trained = module._loss(batch)["loss"].item()
        untrained = NumformerModule(d_model=32, n_heads=2, n_layers=1, context=32, causal=causal)
        untrained.model = module._build(module.hparams.vocab_size, True)
        untrained.model.eval()
        initial = untrained._loss(batch)["loss"].item()
    assert trained < 0.7 * initial
    trainer.test(module, datamodule=datamodule, verbose=False)
    assert set(module.results) == {"test", "test/ood"}
    assert module.results["test"]["invalid"] < 1.0
    assert (
        np.isfinite(module.results["test/ood"]["mse"])
        or module.results["test/ood"]["invalid"] == 1.0
    )


def test_init_from_a_saved_model_keeps_its_tokenizer_and_weights(in_tmp):
    datamodule = prepared("p1000")
    module = NumformerModule(d_model=16, n_heads=2, n_layers=1, context=32)
    trainer = Trainer(
        max_steps=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=0,
    )
    trainer.fit(module, datamodule=datamodule)
    path = module.model.save(in_tmp / "model.pt")
    again = NumformerModule(d_model=16, n_heads=2, n_layers=1, context=32, init_from=str(path))
    assert again.tokenizer.encoding == "p1000"
    assert again.model.number_head is None
    for a, b in zip(again.model.parameters(), module.model.parameters(), strict=True):
        torch.testing.assert_close(a, b)
