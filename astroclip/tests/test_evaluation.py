import numpy as np
import torch

from polymath.astroclip.evaluation import (
    image_view,
    knn_r2,
    mlp_r2,
    retrieval_metrics,
    retrieval_ranks,
    spectrum_view,
)


def test_knn_finds_a_target_carried_by_the_embedding_and_not_one_that_is_absent():
    rng = np.random.default_rng(0)
    target = rng.uniform(0, 1, 1200)
    embedding = np.column_stack(
        [target * 100 + rng.normal(0, 1, 1200), rng.normal(0, 1, (1200, 3))]
    )
    assert knn_r2(embedding[:1000], target[:1000], embedding[1000:], target[1000:]) > 0.9
    unrelated = rng.uniform(0, 1, 1200)
    assert knn_r2(embedding[:1000], unrelated[:1000], embedding[1000:], unrelated[1000:]) < 0.1


def test_retrieval_ranks_and_metrics():
    candidates = torch.eye(4)
    queries = candidates[[0, 1, 3, 2]] + 0.01  # queries 2 and 3 point at each other's partner
    assert retrieval_ranks(queries, candidates).tolist() == [1, 1, 2, 2]
    metrics = retrieval_metrics(queries, candidates)
    assert metrics["recall@1"] == 0.5 and metrics["chance_recall@1"] == 0.25
    assert metrics["median_rank"] in (1.0, 2.0) and metrics["chance_median_rank"] == 2.5


def test_the_few_shot_mlp_finds_a_nonlinear_target_and_not_an_absent_one():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (1200, 4))
    target = np.sin(2 * x[:, 0]) + x[:, 1] ** 2
    assert mlp_r2(x[:1000], target[:1000], x[1000:], target[1000:], epochs=30) > 0.6
    unrelated = rng.normal(0, 1, 1200)
    assert mlp_r2(x[:1000], unrelated[:1000], x[1000:], unrelated[1000:]) < 0.1


def test_views_of_a_galaxy_are_the_same_galaxy_seen_otherwise():
    images = torch.rand(2, 3, 144, 144)
    turned = image_view(images)
    assert turned.shape == images.shape and not torch.equal(turned, images)
    assert torch.allclose(turned.sum((2, 3)), images.sum((2, 3)))
    spectra = torch.linspace(0, 1, 7781).repeat(2, 1) + torch.randn(2, 7781) * 0.5
    again = spectrum_view(spectra, torch.Generator().manual_seed(0))
    assert 0.4 < (again - spectra).std() < 0.6  # new noise at the spectrum's own noise level
