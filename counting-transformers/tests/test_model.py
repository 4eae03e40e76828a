import math

import pytest
import torch

from polymath.counting_transformers.data import VOCAB, generate
from polymath.counting_transformers.model import (
    DECODERS,
    POSITIONS,
    CountingTransformer,
    CountingTransformerConfig,
    alibi_bias,
    alibi_slopes,
    rotate,
)
from polymath.foundation import SavableModel


def build(**overrides) -> CountingTransformer:
    torch.manual_seed(0)
    config = {"num_classes": 40, "d_model": 16, "max_length": 64, **overrides}
    return CountingTransformer(**config).eval()


@pytest.fixture
def batch():
    return generate(5, length=(20, 30), regions=(2, 4), seed=0).as_batch()


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize("causal", [True, False])
def test_every_variant_keeps_shapes_and_normalised_attention(position, decoder, causal, batch):
    model = build(position=position, decoder=decoder, causal=causal, n_heads=2)
    tokens, queries, mask = batch["tokens"], batch["queries"], batch["query_mask"]
    logits, maps = model(tokens, queries, mask, return_attention=True)
    assert logits.shape == (*queries.shape, 40)
    assert torch.isfinite(logits).all()
    encoder, cross = maps["encoder"][0], maps["decoder_cross"][0]
    assert encoder.shape == (5, 2, tokens.shape[1], tokens.shape[1])
    assert cross.shape == (5, 2, queries.shape[1], tokens.shape[1])
    assert torch.allclose(cross.sum(-1), torch.ones(()))
    pads = tokens == VOCAB["PAD"]
    assert (cross.masked_select(pads[:, None, None, :]) == 0).all()
    assert (encoder.masked_select(pads[:, None, None, :]) == 0).all()
    assert ("decoder_self" in maps) == (decoder == "full")


@pytest.mark.parametrize("position", POSITIONS)
def test_causal_encoder_does_not_leak_the_future(position):
    model = build(position=position, causal=True)
    tokens = generate(1, length=30, regions=3, seed=1).tokens
    changed = tokens.clone()
    changed[0, 20:] = torch.where(changed[0, 20:] == VOCAB["1"], VOCAB["0"], VOCAB["1"])
    before, after = model.encode(tokens), model.encode(changed)
    assert torch.allclose(before[:, :20], after[:, :20], atol=1e-6)
    assert not torch.allclose(before[:, 20:], after[:, 20:])


def test_non_causal_encoder_sees_the_future():
    model = build(causal=False)
    tokens = generate(1, length=30, regions=3, seed=1).tokens
    changed = tokens.clone()
    changed[0, -1] = VOCAB["1"] if tokens[0, -1] == VOCAB["0"] else VOCAB["0"]
    assert not torch.allclose(model.encode(tokens)[:, 0], model.encode(changed)[:, 0])


@pytest.mark.parametrize("position", ["none", "rope", "alibi", "sinusoidal", "learned"])
@pytest.mark.parametrize("causal", [True, False])
def test_right_padding_changes_nothing(position, causal):
    model = build(position=position, causal=causal)
    samples = generate(1, length=25, regions=3, seed=2)
    tokens, queries = samples.tokens, samples.queries
    padded = torch.cat([tokens, torch.full((1, 9), VOCAB["PAD"])], dim=1)
    assert torch.allclose(model(tokens, queries), model(padded, queries), atol=1e-5)


def test_rope_scores_depend_only_on_offsets():
    torch.manual_seed(0)
    q, k = torch.randn(8), torch.randn(8)
    positions = torch.arange(12)
    rotated_q = rotate(q.expand(12, 8), positions)
    rotated_k = rotate(k.expand(12, 8), positions)
    scores = rotated_q @ rotated_k.T
    for offset in range(-11, 12):
        diagonal = torch.diagonal(scores, offset)
        assert torch.allclose(diagonal, diagonal[0].expand_as(diagonal), atol=1e-5)
    assert not torch.allclose(torch.diagonal(scores, 0)[0], torch.diagonal(scores, 3)[0])


def test_rope_preserves_norms():
    x = torch.randn(10, 16)
    assert torch.allclose(rotate(x, torch.arange(10)).norm(dim=-1), x.norm(dim=-1), atol=1e-5)


def test_alibi_bias_values():
    assert torch.allclose(alibi_slopes(8), torch.tensor([2.0 ** -(i + 1) for i in range(8)]))
    assert torch.allclose(alibi_slopes(1), torch.tensor([2.0**-8]))
    bias = alibi_bias(2, 4)
    slopes = [2.0**-4, 2.0**-8]
    for head, slope in enumerate(slopes):
        for i in range(4):
            for j in range(4):
                assert math.isclose(float(bias[head, i, j]), -slope * abs(i - j), rel_tol=1e-6)


def test_learned_positions_refuse_longer_sequences():
    model = build(position="learned", max_length=16)
    tokens = generate(1, length=20, regions=2, seed=0).tokens
    with pytest.raises(ValueError, match="max_length=16"):
        model.encode(tokens)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"position": "relative"}, "position="),
        ({"decoder": "none"}, "decoder="),
        ({"d_model": 10, "n_heads": 3}, "divisible"),
        ({"position": "rope", "d_model": 6, "n_heads": 2}, "even"),
        ({"d_model": 0}, "d_model must be >= 1"),
        ({"d_model": -16}, "d_model must be >= 1"),
        ({"encoder_layers": -1}, "encoder_layers must be >= 0"),
    ],
)
def test_bad_configurations_raise(overrides, message):
    with pytest.raises(ValueError, match=message):
        CountingTransformerConfig(num_classes=4, **overrides)


def test_queries_beyond_the_table_raise(batch):
    model = build(max_regions=2)
    with pytest.raises(ValueError, match="max_regions=2"):
        model(batch["tokens"], batch["queries"])


def test_layers_and_heads_are_configurable(batch):
    model = build(encoder_layers=2, decoder_layers=3, n_heads=4)
    _, maps = model(batch["tokens"], batch["queries"], batch["query_mask"], return_attention=True)
    assert len(maps["encoder"]) == 2 and len(maps["decoder_cross"]) == 3
    assert maps["encoder"][0].shape[1] == 4


def test_model_saves_and_rebuilds_itself(batch, tmp_path):
    model = build(position="rope", decoder="cross")
    copy = SavableModel.load(model.save(tmp_path / "model.pt"))
    assert isinstance(copy, CountingTransformer) and copy.config == model.config
    tokens, queries = batch["tokens"], batch["queries"]
    assert torch.equal(model(tokens, queries), copy.eval()(tokens, queries))
