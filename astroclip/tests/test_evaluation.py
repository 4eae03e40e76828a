import numpy as np
import torch

from polymath.astroclip.evaluation import knn_r2, retrieval_metrics, retrieval_ranks


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
