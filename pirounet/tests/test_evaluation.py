"""Generation metrics, the density tiles, and the animations."""

import numpy as np
import torch
from PIL import Image

from polymath.pirounet.animation import animate, comic_strip
from polymath.pirounet.evaluation import (
    diversity,
    entanglement,
    frechet_distance,
    multimodality,
    principal_components,
    recognition,
)  # fmt: skip
from polymath.pirounet.generation import fit_density_tiles, sample_conditional
from polymath.pirounet.model import EffortClassifier, PirouNet


def test_frechet_distance_of_gaussians_matches_the_closed_form():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(20_000, 3))
    b = rng.normal(size=(20_000, 3)) * 2 + np.array([1.0, 0.0, -1.0])
    # |mu|^2 + Tr(I + 4I - 2 * 2I) = 2 + 3
    assert abs(frechet_distance(a, b) - 5.0) < 0.15
    assert frechet_distance(a, a) < 1e-6


def test_diversity_and_multimodality_see_spread_within_labels():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 500)
    tight = np.where(labels[:, None] == 0, 0.0, 10.0) + rng.normal(0, 0.1, (1000, 2))
    assert diversity(tight) > 3 and multimodality(tight, labels) < 0.3


def test_recognition_is_the_confusion_of_conditioning_against_the_call():
    judge = EffortClassifier(seq_len=1, features=3, hidden=4, hidden_layers=0)
    with torch.no_grad():
        judge.body[1].weight.copy_(torch.eye(4, 3))
        judge.body[1].bias.zero_()
        judge.head.weight.copy_(torch.eye(3, 4))
        judge.head.bias.zero_()
    windows = torch.tensor([[[1.0, 0, 0]], [[0, 1.0, 0]], [[0, 1.0, 0]], [[0, 0, 1.0]]])
    matrix = recognition(judge, windows, torch.tensor([0, 1, 2, 2]))
    np.testing.assert_allclose(matrix, [[1, 0, 0], [0, 1, 0], [0, 0.5, 0.5]])


def test_a_decoder_that_ignores_the_label_is_fully_entangled():
    model = PirouNet(seq_len=5, features=6, hidden=8, encoder_layers=1, decoder_layers=1, latent=4,
                     classifier_hidden=4)  # fmt: skip
    with torch.no_grad():
        model.expand.weight[:, 4:] = 0  # the label's columns
    across_labels, across_z = entanglement(model, n=16)
    assert across_labels < 1e-6 < across_z


def test_dense_tiles_sit_where_a_label_dominates_and_samples_land_in_them():
    rng = np.random.default_rng(0)
    latents = np.concatenate([rng.normal(0, 0.3, (300, 5)), rng.normal(3, 0.3, (300, 5)),
                              rng.normal(-3, 0.3, (300, 5))])  # fmt: skip
    labels = np.repeat([0, 1, 2], 300)
    tiles = fit_density_tiles(latents, labels, tile_sizes=(0.5, 0.5, 0.5))
    for k, chosen in enumerate(tiles):
        assert len(chosen.corners) > 0
        np.testing.assert_allclose(chosen.centre, latents[labels == k].mean(0))
    model = PirouNet(seq_len=4, features=6, hidden=8, encoder_layers=1, decoder_layers=1, latent=5,
                     classifier_hidden=4)  # fmt: skip
    windows, fell_back = sample_conditional(model, tiles, 1, n=7)
    assert windows.shape == (7, 4, 6) and not fell_back
    empty = fit_density_tiles(latents[:310], labels[:310])  # label 2 absent
    assert len(empty[2].corners) == 0 and sample_conditional(model, empty, 2, n=3)[1]


def test_principal_components_explain_the_variance():
    rng = np.random.default_rng(0)
    latents = rng.normal(size=(500, 6)) * np.array([5, 1, 0.1, 0.1, 0.1, 0.1])
    _, axes, ratio = principal_components(latents, k=3)
    assert ratio[0] > 0.9 and abs(abs(axes[0, 0]) - 1) < 0.01


def test_animation_writes_a_gif_with_every_frame(tmp_path):
    poses = np.random.default_rng(0).normal(0, 0.2, (6, 53, 3))
    path = animate(poses, tmp_path / "dance.gif", ghost=poses + 0.05)
    with Image.open(path) as gif:
        assert gif.n_frames == 6
    assert len(comic_strip(poses, panels=3).axes) == 3
