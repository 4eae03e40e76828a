"""Beyond Imitation's models: the MDN's two readings, the pose autoencoder, the sequence VAE."""

import math

import numpy as np
import pytest
import torch
from torch import distributions as D

from polymath.pirounet.augment import rotate_about_z
from polymath.pirounet.beyond_module import MDNModule, SeqVAEModule
from polymath.pirounet.data.motion import MotionDataModule
from polymath.pirounet.mdn import MixtureDensityRNN
from polymath.pirounet.pose_autoencoder import PoseAutoencoder
from polymath.pirounet.sequence_vae import SequenceVAE, continuize


def _mixture(batch: int = 1, features: int = 4):
    log_weights = torch.log(torch.tensor([[0.2, 0.5, 0.3]])).expand(batch, -1)
    means = torch.tensor([[[-1.0, 0.0, 2.0, 1.0], [0.5, 1.0, -1.0, 0.0], [2.0, -2.0, 0.0, 3.0]]])
    log_sigmas = torch.log(torch.tensor([[0.3, 0.1, 0.6]])).expand(batch, -1)
    return log_weights, means.expand(batch, -1, -1), log_sigmas


def test_mdn_sample_mean_and_variance_match_the_mixture():
    log_weights, means, log_sigmas = _mixture(batch=40_000)
    draws = MixtureDensityRNN.sample(
        log_weights, means, log_sigmas, "joint", torch.Generator().manual_seed(0)
    )
    w, m, s = log_weights[0].exp(), means[0], log_sigmas[0].exp()
    mean = (w[:, None] * m).sum(0)
    variance = (w[:, None] * (s[:, None] ** 2 + m**2)).sum(0) - mean**2
    torch.testing.assert_close(draws.mean(0), mean, atol=0.03, rtol=0)
    torch.testing.assert_close(draws.var(0), variance, rtol=0.04, atol=0)
    # the reference's generation: the mean of the most probable component, every time
    reference = MixtureDensityRNN.sample(
        log_weights[:3], means[:3], log_sigmas[:3], "per_dimension"
    )
    torch.testing.assert_close(reference, m[1].expand(3, -1))


def test_mdn_likelihoods_match_torch_distributions():
    log_weights, means, log_sigmas = _mixture(batch=5)
    target = torch.randn(5, 4)
    scale = log_sigmas.exp()[..., None].expand_as(means)
    joint = D.MixtureSameFamily(
        D.Categorical(logits=log_weights), D.Independent(D.Normal(means, scale), 1)
    )
    nll = MixtureDensityRNN.negative_log_likelihood(log_weights, means, log_sigmas, target, "joint")
    torch.testing.assert_close(nll, -joint.log_prob(target))
    per_dim = D.MixtureSameFamily(
        D.Categorical(logits=log_weights[:, None].expand(-1, 4, -1)),
        D.Normal(means.transpose(1, 2), scale.transpose(1, 2)),
    )
    nll = MixtureDensityRNN.negative_log_likelihood(
        log_weights, means, log_sigmas, target, "per_dimension"
    )
    torch.testing.assert_close(nll, -per_dim.log_prob(target).mean(-1))


def test_mdn_generation_continues_a_prompt():
    model = MixtureDensityRNN(features=6, hidden=8, layers=2, mixtures=3, dense=8)
    out = model.generate(torch.randn(2, 5, 6), steps=7)
    assert out.shape == (2, 7, 6) and torch.isfinite(out).all()


def test_pose_autoencoder_round_trip_and_paths():
    model = PoseAutoencoder(features=9, hidden=16, latent=2)
    assert model.encode(torch.randn(4, 9)).shape == (4, 2) and model(torch.randn(4, 9)).shape == (
        4,
        9,
    )
    circle = torch.stack(
        [torch.cos(torch.linspace(0, 6.3, 20)), torch.sin(torch.linspace(0, 6.3, 20))], -1
    )
    assert model.along_path(circle).shape == (20, 9)


def test_sequence_vae_shapes_variations_and_continuizer():
    torch.manual_seed(0)
    model = SequenceVAE(seq_len=12, features=9, hidden=16, layers=1, latent=4).eval()
    phrase = torch.randn(12, 9)
    assert model(phrase[None])[0].shape == (1, 12, 9)
    close = model.variations(phrase, 16, sigma=0.1) - model(phrase[None])[0]
    far = model.variations(phrase, 16, sigma=3.0) - model(phrase[None])[0]
    assert close.norm() < far.norm()
    assert model.generate(3).abs().max() < 1  # an LSTM's hidden state
    chain, before, after = continuize(model, torch.randn(3, 4), steps=60)
    assert chain.shape == (2 * 6 + 12, 9) and after < 0.5 * before
    assert all(p.requires_grad for p in model.parameters())


def test_rotation_about_z_keeps_heights_and_horizontal_distances():
    x = torch.randn(3, 5, 12)
    turned = rotate_about_z(x)
    pts, new = x.unflatten(-1, (-1, 3)), turned.unflatten(-1, (-1, 3))
    torch.testing.assert_close(new[..., 2], pts[..., 2])
    torch.testing.assert_close(new[..., :2].norm(dim=-1), pts[..., :2].norm(dim=-1))
    assert not torch.allclose(new, pts)


@pytest.mark.parametrize(
    ("kind", "shape"), [("frames", (159,)), ("next_frame", (10, 159)), ("windows", (10, 159))]
)
def test_motion_data_never_shares_frames_between_sets(kind, shape):
    data = MotionDataModule(kind, synthetic_sessions=2, synthetic_seconds=8.0, seq_len=10, stride=3,
                            scaling="beyond_imitation", batch_size=4)  # fmt: skip
    data.setup()
    span = data.span
    train, val, test = (data.splits[k] for k in ("train", "val", "test"))
    assert train.max() + span <= val.min() and val.max() + span <= test.min()
    item = next(iter(data.train_dataloader()))
    first = item[0] if kind == "next_frame" else item
    assert (
        first.shape[1:] == shape and float(data.poses.min()) >= 0 and float(data.poses.max()) <= 1
    )
    if kind == "next_frame":
        assert item[1].shape[1:] == (159,)


def test_the_modules_take_a_training_step():
    mdn = MDNModule(features=159, hidden=8, layers=1, mixtures=2, dense=8)
    assert math.isfinite(float(mdn.training_step((torch.randn(4, 5, 159), torch.randn(4, 159)), 0)))
    vae = SeqVAEModule(seq_len=6, hidden=8, layers=1, latent=4)
    loss = vae.training_step(torch.rand(3, 6, 159) * 0.1, 0)
    loss.backward()
    assert all(p.grad is not None for p in vae.model.parameters() if p.requires_grad)
    with pytest.raises(ValueError, match="empty"):
        MotionDataModule("windows", synthetic_sessions=1, synthetic_seconds=2.0, seq_len=60).setup()
    assert np.isfinite(float(loss))
