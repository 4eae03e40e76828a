"""AViT: preset sizes, the reference layout, RevIN, translation equivariance, field expansion."""

import pytest
import torch

from polymath.mpp.checkpoint import (
    CheckpointError,
    head_first_to_qkv_first,
    load_reference_checkpoint,
    to_reference_state_dict,
)
from polymath.mpp.layers import RMSInstanceNorm2d
from polymath.mpp.model import AViT, revin_statistics


def tiny(**kwargs) -> AViT:
    torch.manual_seed(0)
    args = {
        "size": None,
        "embed_dim": 32,
        "num_heads": 2,
        "depth": 2,
        "drop_path": 0.0,
        "layer_scale": 0.5,
    }
    return AViT(**{**args, **kwargs}).eval()


@pytest.mark.parametrize(
    ("size", "reference_millions"), [("Ti", 7.3), ("S", 29.0), ("B", 115.6), ("L", 407.1)]
)
def test_preset_parameter_counts(size, reference_millions):
    with torch.device("meta"):
        model = AViT(size)
    ours = sum(p.numel() for p in model.parameters())
    with_unused_biases = sum(v.numel() for v in to_reference_state_dict(model).values())
    assert round(with_unused_biases / 1e6, 1) == reference_millions
    unused = with_unused_biases - ours
    assert unused == sum(
        m.weight.numel() for m in model.modules() if isinstance(m, RMSInstanceNorm2d)
    )


def test_reference_checkpoint_loads_on_one_device(tmp_path):
    model = tiny()
    path = tmp_path / "MPP_AViT_tiny.tar"
    torch.save({"model_state": to_reference_state_dict(model), "epoch": 3, "iters": 10}, path)
    x, fields, bcs = torch.randn(2, 3, 2, 32, 32), torch.tensor([4, 5]), torch.zeros(2, 2)
    loaded = load_reference_checkpoint(
        path, size=None, embed_dim=32, num_heads=2, depth=2, drop_path=0.0
    ).eval()
    torch.testing.assert_close(loaded(x, fields, bcs), model(x, fields, bcs))


def test_qkv_layout_conversion_puts_each_heads_query_first():
    heads, head_dim = 2, 3
    # reference order: head 0 [q0 q0 q0 k0 k0 k0 v0 v0 v0], head 1 [...]; values encode (head, part)
    reference = torch.tensor(
        [10 * h + p for h in range(heads) for p in range(3) for _ in range(head_dim)]
    )
    ours = head_first_to_qkv_first(reference, heads)
    assert ours.tolist() == [
        10 * h + p for p in range(3) for h in range(heads) for _ in range(head_dim)
    ]


def test_reference_checkpoint_errors_name_the_problem(tmp_path):
    state = to_reference_state_dict(tiny())
    del state["module.blocks.0.temporal.gamma"]
    state["module.extra.weight"] = torch.zeros(1)
    torch.save({"model_state": state}, tmp_path / "broken.tar")
    with pytest.raises(
        CheckpointError, match=r"missing blocks\.0\.time\.gamma; unexpected extra\.weight"
    ):
        load_reference_checkpoint(
            tmp_path / "broken.tar", size=None, embed_dim=32, num_heads=2, depth=2
        )
    torch.save({"model_state": to_reference_state_dict(tiny(embed_dim=64))}, tmp_path / "other.tar")
    with pytest.raises(CheckpointError, match="is embed_dim 64 with 2 blocks, but the model asks"):
        load_reference_checkpoint(
            tmp_path / "other.tar", size=None, embed_dim=32, num_heads=2, depth=2
        )
    with pytest.raises(CheckpointError, match=r"asks for embed_dim 192 with 12 blocks \(AViT-Ti\)"):
        load_reference_checkpoint(tmp_path / "other.tar", size="Ti")
    with pytest.raises(CheckpointError, match="match no preset"):
        load_reference_checkpoint(tmp_path / "other.tar")


def test_revin_round_trip_and_statistics():
    history = 3.0 + 2.0 * torch.randn(2, 4, 3, 16, 16)
    mean, std = revin_statistics(history)
    normalised = (history - mean) / std
    torch.testing.assert_close(normalised.mean(dim=(1, 3, 4)), torch.zeros(2, 3), atol=1e-5, rtol=0)
    torch.testing.assert_close(normalised * std + mean, history)


def test_prediction_follows_the_input_scale_and_offset():
    """RevIN makes the map equivariant to an affine change of units per field."""
    model = tiny()
    x, fields = torch.randn(1, 3, 2, 32, 32), torch.tensor([0, 1])
    scaled = model(5.0 * x + 7.0, fields)
    torch.testing.assert_close(scaled, 5.0 * model(x, fields) + 7.0, atol=1e-4, rtol=1e-4)


def test_periodic_shift_by_patch_multiples_shifts_the_prediction():
    model = tiny()
    x, fields, periodic = torch.randn(1, 3, 2, 64, 48), torch.tensor([6, 7]), torch.ones(1, 2)
    shift = (16, 32)
    shifted = model(torch.roll(x, shift, dims=(-2, -1)), fields, periodic)
    expected = torch.roll(model(x, fields, periodic), shift, dims=(-2, -1))
    torch.testing.assert_close(shifted, expected, atol=1e-5, rtol=1e-5)
    walls = torch.zeros(1, 2)  # without wrap-around the bias sees the shift
    assert not torch.allclose(
        model(torch.roll(x, shift, dims=(-2, -1)), fields, walls), expected, atol=1e-4
    )


def test_appending_fields_leaves_old_outputs_unchanged(tmp_path):
    model = tiny(n_states=12)
    x, fields = torch.randn(2, 3, 2, 32, 32), torch.tensor([4, 5])
    before = model(x, fields)
    model.expand_fields(14)
    assert model.n_states == 14
    torch.testing.assert_close(model(x, fields), before, atol=1e-5, rtol=1e-5)
    assert model(x[:, :, :1], torch.tensor([13])).shape == (2, 1, 32, 32)
    reloaded = AViT.load(model.save(tmp_path / "expanded.pt")).eval()
    torch.testing.assert_close(reloaded(x, fields), before, atol=1e-5, rtol=1e-5)


def test_freezing_modes_train_what_they_say():
    model = tiny()
    model.freeze("frozen")
    trainable = {name.split(".")[0] for name, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"field_embedding", "head"}
    model.freeze("less_frozen")
    trainable = {name.split(".")[0] for name, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"field_embedding", "head", "stem", "decoder"}
    model.freeze("none")
    assert all(p.requires_grad for p in model.parameters())


def test_bad_inputs_are_named():
    model = tiny()
    with pytest.raises(ValueError, match="divisible by 16"):
        model(torch.randn(1, 2, 1, 24, 32), torch.tensor([0]))
    with pytest.raises(ValueError, match="beyond this model's 12 slots"):
        model(torch.randn(1, 2, 1, 32, 32), torch.tensor([12]))


def test_residual_form_adds_the_decoded_change_to_the_last_frame():
    reference = tiny()
    residual = tiny(residual=True)
    residual.load_state_dict(reference.state_dict())
    x, fields = torch.randn(2, 3, 2, 32, 32), torch.tensor([0, 1])
    mean = x.mean(dim=(1, 3, 4))[..., None, None]
    std = x.std(dim=(1, 3, 4))[..., None, None] + 1e-7
    change = (reference(x, fields) - mean) / std
    torch.testing.assert_close(residual(x, fields), x[:, -1] + change * std, atol=1e-5, rtol=1e-5)
