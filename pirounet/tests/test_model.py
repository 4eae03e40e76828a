"""PirouNet's shapes, the two KL conventions, the unlabelled bound, alpha, saving and a training step."""

import lightning as L
import pytest
import torch
from torch.distributions import Normal
from torch.distributions import kl_divergence as torch_kl

from polymath.pirounet.data.datamodule import DanceDataModule
from polymath.pirounet.losses import (
    alpha_from_batches,
    kl_divergence,
    labelled_loss,
    unlabelled_loss,
)
from polymath.pirounet.model import PirouNet
from polymath.pirounet.module import LabelledOnlyModule, PirouNetModule

TINY = dict(seq_len=8, features=159, hidden=16, encoder_layers=2, decoder_layers=2, latent=6,
            classifier_hidden=12)  # fmt: skip


def test_the_reference_size_has_the_specified_shapes():
    model = PirouNet()
    assert (model.encoder.num_layers, model.encoder.hidden_size, model.encoder.input_size) == (
        5,
        100,
        162,
    )
    assert model.mean.out_features == 256 and model.decoder.num_layers == 4
    assert model.expand.in_features == 259 and model.output.hidden_size == 159
    x, y = torch.rand(2, 40, 159), torch.tensor([0, 2])
    reconstruction, mean, log_var = model(x, y)
    assert reconstruction.shape == x.shape and mean.shape == log_var.shape == (2, 256)
    assert reconstruction.abs().max() < 1  # an LSTM hidden state
    assert model.classify(x).shape == (2, 3)


def test_the_kl_conventions_against_torch():
    mean, log_var = torch.randn(4, 6), torch.randn(4, 6)
    truth = torch_kl(Normal(mean, (0.5 * log_var).exp()), Normal(0.0, 1.0)).sum(-1)
    torch.testing.assert_close(kl_divergence(mean, log_var, "standard"), truth)
    torch.testing.assert_close(kl_divergence(mean, log_var, "reference"), 2 * truth)


def test_the_unlabelled_bound_enumerates_the_labels_weighted_by_the_classifier():
    torch.manual_seed(0)
    model = PirouNet(**TINY).eval()  # eval: z is the mean, so the bound is deterministic
    x = torch.rand(5, 8, 159)
    q = model.classify(x).softmax(-1)
    per_label = torch.stack([labelled_loss(model, x, torch.full((5,), k), "standard")[0]
                             for k in range(3)], -1)  # fmt: skip
    expected = (q * per_label).sum(-1) + (q * q.log()).sum(-1)
    torch.testing.assert_close(unlabelled_loss(model, x, "standard"), expected)
    assert not torch.allclose(per_label[:, 0], per_label[:, 1])  # the label reaches the decoder


def test_alpha_is_a_tenth_of_the_batch_ratio():
    assert alpha_from_batches(42, 7) == pytest.approx(0.6)
    with pytest.raises(ValueError, match="at least one labelled"):
        alpha_from_batches(10, 0)


def test_the_model_saves_and_loads(tmp_path):
    model = PirouNet(**TINY).eval()
    loaded = PirouNet.load(model.save(tmp_path / "model.pt")).eval()
    x, y = torch.rand(2, 8, 159), torch.tensor([1, 2])
    torch.testing.assert_close(model(x, y)[0], loaded(x, y)[0])


@pytest.mark.parametrize("convention", ["reference", "standard"])
def test_training_steps_run_and_set_alpha(convention):
    data = DanceDataModule(synthetic_sessions=1, synthetic_seconds=20.0, hand_labelled=0.05,
                           seq_len=8, stride=4, batch_size=16)  # fmt: skip
    module = PirouNetModule(**TINY, kl_convention=convention)
    trainer = L.Trainer(max_steps=3, limit_val_batches=1, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False)  # fmt: skip
    trainer.fit(module, datamodule=data)
    assert module.alpha == pytest.approx(alpha_from_batches(*data.batch_counts()))
    assert torch.isfinite(trainer.callback_metrics["train/loss"])
    (metrics,) = trainer.validate(module, datamodule=data, verbose=False)
    assert 0 <= metrics["val/accuracy"] <= 1 and metrics["val/ajd"] > 0


def test_the_baseline_learns_from_the_labelled_windows_alone():
    data = DanceDataModule(synthetic_sessions=1, synthetic_seconds=20.0, hand_labelled=0.05,
                           seq_len=8, stride=4, batch_size=16)  # fmt: skip
    data.setup()
    module = LabelledOnlyModule(seq_len=8, hidden=12)
    trainer = L.Trainer(max_steps=2, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False)  # fmt: skip
    before = [p.clone() for p in module.parameters()]
    trainer.fit(module, train_dataloaders=data.labelled_dataloader())
    assert any(not torch.equal(a, b) for a, b in zip(before, module.parameters()))


def test_random_generation_decodes_one_window_per_label():
    model = PirouNet(**TINY).eval()
    generator = torch.Generator().manual_seed(0)
    windows = model.generate(torch.tensor([0, 1, 2]), generator=generator)
    assert windows.shape == (3, 8, 159) and windows.abs().max() < 1
    again = model.generate(torch.tensor([0, 1, 2]), generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(windows, again)


def test_a_window_length_that_differs_from_the_data_is_refused():
    data = DanceDataModule(synthetic_sessions=1, synthetic_seconds=20.0, hand_labelled=0.05,
                           seq_len=10, stride=4, batch_size=16)  # fmt: skip
    trainer = L.Trainer(max_steps=1, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False)  # fmt: skip
    with pytest.raises(ValueError, match="model.seq_len 8 differs from data.seq_len 10"):
        trainer.fit(PirouNetModule(**TINY), datamodule=data)


def test_rotate_turns_both_training_batches_about_z(monkeypatch):
    turned = []

    def record(x):
        turned.append(x.shape)
        return x

    monkeypatch.setattr("polymath.pirounet.module.rotate_about_z", record)
    module = PirouNetModule(**TINY, rotate=True)
    module.alpha = 0.1
    batch = {
        "labelled": (torch.rand(3, 8, 159), torch.tensor([0, 1, 2])),
        "unlabelled": torch.rand(5, 8, 159),
    }
    assert torch.isfinite(module.training_step(batch, 0))
    assert turned == [(3, 8, 159), (5, 8, 159)]
