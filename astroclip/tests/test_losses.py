import math

import torch

from polymath.astroclip.losses import clip_loss


def test_clip_loss_against_a_direct_computation():
    torch.manual_seed(0)
    image, spectrum = torch.randn(5, 8), torch.randn(5, 8)
    scale = 15.5
    cosine = [[float(torch.dot(a, b) / (a.norm() * b.norm())) for b in spectrum] for a in image]
    total = 0.0
    for i in range(5):
        row = [scale * c for c in cosine[i]]
        column = [scale * cosine[j][i] for j in range(5)]
        total -= row[i] - math.log(sum(math.exp(v) for v in row))
        total -= column[i] - math.log(sum(math.exp(v) for v in column))
    assert math.isclose(clip_loss(image, spectrum, scale).item(), total / 10, rel_tol=1e-5)


def test_aligned_pairs_have_low_loss_and_shuffled_pairs_high():
    embeddings = torch.eye(16)
    assert clip_loss(embeddings, embeddings, 15.5) < 0.01
    assert clip_loss(embeddings, embeddings.roll(1, 0), 15.5) > 10
