"""The experiments: mocks and scan end to end at toy scale (slow: several fits each), the GD-1
pipeline on files the test writes, and the mocks' summary on hand-made rows."""

import pytest
from toy import toy_patch

from polymath.cwola_streams import experiments
from polymath.cwola_streams.data import save_patch
from polymath.foundation import Recipe, RunContext, get_package

TINY = {
    "model": {"hidden": [16, 16], "dropout": 0.0, "patience": 3, "lr": 3e-3},
    "trainer": {"max_epochs": 15, "threads": 1, "progress": "none", "log_every_n_steps": 1},
}


def context(tmp_path, data, **trainer):
    config = TINY | {"data": data}
    config["trainer"] = config["trainer"] | trainer
    recipe = Recipe(description="test", config=config)
    return RunContext(get_package("cwola-streams"), recipe, None, tmp_path)


@pytest.mark.slow
def test_blind_scan_peaks_at_the_stream(tmp_path):
    save_patch(toy_patch(n_field=6000, n_stream=300), tmp_path / "toy.npy")
    data = {"patch_file": str(tmp_path / "toy.npy"), "n_folds": 3, "repeats": 1, "batch_size": 2000}
    metrics = experiments.scan(
        context(tmp_path, data, max_epochs=40),
        sr_width=0.5,
        sb_width=0.5,
        step=0.25,  # one window centred on the stream at 0
        quantiles=(0.0, 1.0),
        efficiency=0.02,
    )
    assert metrics["scan/best_offset_from_truth"] <= 0.25
    assert metrics["scan/max_z"] > 3


@pytest.mark.slow
def test_mocks_report_the_purity_distribution(tmp_path):
    data = {
        "n_background": 4000,
        "stream_age_myr": 800.0,
        "k_sr": 1.0,
        "k_sb": 3.0,
        "n_folds": 3,
        "repeats": 1,
        "batch_size": 2000,
    }
    metrics = experiments.mocks(context(tmp_path, data), n_mocks=2, strengths=[60, 120], top=10)
    for prefix in ("top10/purity", "supervised/top10/purity"):
        for statistic in ("mean", "median", "fraction_above_half", "fraction_above_zero"):
            assert 0 <= metrics[f"{prefix}_{statistic}"] <= 1
    assert {"top10/purity_median/n_stream_60", "top10/purity_median/n_stream_120"} <= set(metrics)


def test_purity_summary_on_hand_made_mocks():
    rows = [
        {"n_stream": 100, "top50/purity": 0.0, "supervised/top50/purity": 0.5},
        {"n_stream": 100, "top50/purity": 0.2, "supervised/top50/purity": 0.7},
        {"n_stream": 400, "top50/purity": 0.6, "supervised/top50/purity": 0.9},
        {"n_stream": 400, "top50/purity": 1.0, "supervised/top50/purity": 1.0},
    ]
    metrics = experiments.purity_summary(rows, 50)
    assert metrics["top50/purity_mean"] == pytest.approx(0.45)
    assert metrics["top50/purity_median"] == pytest.approx(0.4)
    assert metrics["top50/purity_fraction_above_half"] == 0.5
    assert metrics["top50/purity_fraction_above_zero"] == 0.75
    assert metrics["supervised/top50/purity_median"] == pytest.approx(0.8)
    assert metrics["top50/purity_median/n_stream_100"] == pytest.approx(0.1)
    assert metrics["top50/purity_median/n_stream_400"] == pytest.approx(0.8)
    without_bound = experiments.purity_summary(
        [{k: v for k, v in rows[0].items() if "sup" not in k}], 50
    )
    assert not any(key.startswith("supervised/") for key in without_bound)
