"""Batched ensembles in plain torch: members reproducible alone, batched = loop, stopping, metrics."""

import subprocess
import sys

import pytest
import torch
from torchmetrics.classification import BinaryAUROC

from polymath.foundation.ensembles import (
    EnsembleLinear,
    EnsembleMLP,
    MemberEarlyStopping,
    MemberMean,
    member_mean,
    per_member,
)
from polymath.foundation.models import SavableModel

torch.set_num_threads(1)


def _params(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in model.named_parameters()}


@pytest.mark.parametrize("init", ["torch", "keras"])
def test_member_k_is_the_model_built_alone_from_seed_and_k(init):
    ensemble = EnsembleMLP(5, 3, hidden=(8, 6), init=init, seed=7)
    for k in (0, 3):
        alone = EnsembleMLP(1, 3, hidden=(8, 6), init=init, seed=7, first_member=k)
        for name, weight in alone.named_parameters():
            assert torch.equal(weight[0], ensemble.get_parameter(name)[k]), (k, name)
    other_seed = EnsembleMLP(5, 3, hidden=(8, 6), init=init, seed=8)
    assert not torch.equal(other_seed.layers[0].weight[0], ensemble.layers[0].weight[0])
    assert not torch.equal(ensemble.layers[0].weight[0], ensemble.layers[0].weight[1])


def test_batched_forward_equals_a_loop_over_plain_members():
    ensemble = EnsembleMLP(4, 3, hidden=(16, 16), out_features=2, dropout=0.3, seed=1).eval()
    shared = torch.randn(10, 3)
    per_member_inputs = torch.randn(4, 10, 3)
    out_shared, out_each = ensemble(shared), ensemble(per_member_inputs)
    assert out_shared.shape == (4, 10, 2)
    for k in range(4):
        member = ensemble.member(k).eval()
        assert isinstance(member[0], torch.nn.Linear)
        torch.testing.assert_close(out_shared[k], member(shared))
        torch.testing.assert_close(out_each[k], member(per_member_inputs[k]))


def test_batched_training_equals_separate_training_of_each_member():
    """Adam on the sum of the members' mean losses moves each member as if it trained alone."""
    ensemble = EnsembleMLP(3, 2, hidden=(8,), seed=4)
    members = [ensemble.member(k) for k in range(3)]
    batched_opt = torch.optim.Adam(ensemble.parameters(), lr=1e-2)
    separate_opts = [torch.optim.Adam(m.parameters(), lr=1e-2) for m in members]
    generator = torch.Generator().manual_seed(0)
    for _ in range(5):
        x = torch.randn(3, 32, 2, generator=generator)  # one batch per member (k-fold style)
        y = x.sum(-1, keepdim=True).sin()
        batched_opt.zero_grad()
        ((ensemble(x) - y) ** 2).mean((1, 2)).sum().backward()
        batched_opt.step()
        for k, (member, opt) in enumerate(zip(members, separate_opts, strict=True)):
            opt.zero_grad()
            ((member(x[k]) - y[k]) ** 2).mean().backward()
            opt.step()
    for k, member in enumerate(members):
        torch.testing.assert_close(ensemble.layers[0].weight[k], member[0].weight.T)
        torch.testing.assert_close(ensemble.layers[1].bias[k, 0], member[3].bias)


def test_initialisations_keras_glorot_with_zero_bias_and_torch_default():
    keras = EnsembleMLP(2, 64, hidden=(128,), init="keras").layers[0]
    limit = (6 / (64 + 128)) ** 0.5
    assert 0.95 * limit < keras.weight.abs().max() <= limit
    assert torch.count_nonzero(keras.bias) == 0
    default = EnsembleMLP(2, 64, hidden=(128,), init="torch").layers[0]
    bound = 1 / 64**0.5
    assert 0.95 * bound < default.weight.abs().max() <= bound
    assert 0.9 * bound < default.bias.abs().max() <= bound
    reference = torch.nn.Linear(64, 128)  # torch's own default has the same bounds
    assert reference.weight.abs().max() <= bound and reference.bias.abs().max() <= bound


def test_dropout_masks_differ_between_members():
    ensemble = EnsembleMLP(3, 4, hidden=(64,), dropout=0.5)
    with torch.no_grad():
        for layer in ensemble.layers:
            layer.weight.copy_(layer.weight[:1].expand_as(layer.weight))
            layer.bias.copy_(layer.bias[:1].expand_as(layer.bias))
    x = torch.randn(8, 4)
    train_out = ensemble.train()(x)
    assert not torch.allclose(train_out[0], train_out[1])
    eval_out = ensemble.eval()(x)
    torch.testing.assert_close(eval_out[0], eval_out[1])


def test_bad_arguments_and_inputs_are_named():
    with pytest.raises(ValueError, match="unknown init 'he'"):
        EnsembleMLP(2, 3, init="he")
    with pytest.raises(ValueError, match="unknown activation 'sigmoid'"):
        EnsembleMLP(2, 3, activation="sigmoid")
    with pytest.raises(ValueError, match="must be >= 1"):
        EnsembleMLP(0, 3)
    with pytest.raises(
        ValueError, match=r"expects inputs \(batch, 3\) or \(2, batch, 3\), got \(5, 4\)"
    ):
        EnsembleMLP(2, 3)(torch.randn(5, 4))
    with pytest.raises(IndexError, match="member 2 out of range"):
        EnsembleMLP(2, 3).member(2)


def test_an_ensemble_saves_and_loads_itself(tmp_path):
    ensemble = EnsembleMLP(3, 2, hidden=(5,), init="keras", seed=3, dropout=0.2).eval()
    loaded = SavableModel.load(ensemble.save(tmp_path / "ensemble.pt")).eval()
    assert loaded.model_args == ensemble.model_args
    x = torch.randn(7, 2)
    torch.testing.assert_close(loaded(x), ensemble(x))


class _Linear(torch.nn.Module):
    def __init__(self, members: int) -> None:
        super().__init__()
        self.layer = EnsembleLinear(members, 2, 1)
        self.layer.weight.data.zero_()
        self.layer.bias.data.zero_()


def test_early_stopping_keeps_each_members_best_weights_and_restores_them():
    model = _Linear(3)
    stopping = MemberEarlyStopping(model, patience=2)
    history = [[1.0, 1.0, 1.0], [2.0, 0.5, 0.9], [3.0, 0.4, 1.0], [4.0, 0.6, 1.0], [5.0, 0.3, 0.1]]
    stopped_at = []
    for epoch, values in enumerate(history):
        model.layer.weight.data.fill_(epoch)  # the weights "after epoch": a fingerprint
        stopped_at.append(stopping.update(model, torch.tensor(values), epoch).tolist())
    assert stopped_at[2] == [True, False, False]  # member 0: no gain for 2 epochs
    assert stopped_at[3] == [False, False, True]  # member 2: best at 1, then 2 without gain
    assert stopping.active.tolist() == [False, True, False]
    assert stopping.best.tolist() == pytest.approx([1.0, 0.3, 0.9])
    assert stopping.best_epoch.tolist() == [0, 4, 1]
    assert stopping.stopped_epoch.tolist() == [2, -1, 3]
    stopping.restore_best(model)
    assert model.layer.weight[:, 0, 0].tolist() == [0.0, 4.0, 1.0]
    assert [row["best_epoch"] for row in stopping.table()] == [0, 4, 1]


def test_min_delta_mode_and_nan():
    model = _Linear(3)
    stopping = MemberEarlyStopping(model, patience=1, min_delta=0.1, mode="max")
    stopping.update(model, torch.tensor([1.0, 1.0, 1.0]), 0)
    stopped = stopping.update(model, torch.tensor([1.05, 1.2, float("nan")]), 1)
    assert stopped.tolist() == [True, False, True]  # +0.05 < min_delta; NaN is no gain
    assert stopping.best.tolist() == pytest.approx([1.0, 1.2, 1.0])


def test_stopped_members_do_not_move_under_adamw():
    model = _Linear(2)
    model.layer.weight.data.normal_()
    stopping = MemberEarlyStopping(model, patience=1)
    stopping.update(model, torch.tensor([1.0, 1.0]), 0)
    stopping.update(model, torch.tensor([2.0, 0.5]), 1)  # member 0 stops
    frozen = _params(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.1, weight_decay=0.5)
    for _ in range(3):
        optimizer.zero_grad()
        x = torch.randn(2, 16, 2)
        model.layer(x).pow(2).mean((1, 2)).sum().backward()  # no mask: hold alone must freeze it
        optimizer.step()
        stopping.hold(model)
    assert torch.equal(model.layer.weight[0], frozen["layer.weight"][0])
    assert torch.equal(model.layer.bias[0], frozen["layer.bias"][0])
    assert not torch.equal(model.layer.weight[1], frozen["layer.weight"][1])


def test_stopping_state_is_saved_and_resumed():
    model = _Linear(2)
    stopping = MemberEarlyStopping(model, patience=1)
    stopping.update(model, torch.tensor([1.0, 1.0]), 0)
    stopping.update(model, torch.tensor([2.0, 0.5]), 1)
    resumed = MemberEarlyStopping(_Linear(2), patience=1)
    resumed.load_state_dict(stopping.state_dict())
    assert resumed.active.tolist() == [False, True]
    assert resumed.best.tolist() == [1.0, 0.5]


def test_stopping_refuses_what_it_cannot_track():
    with pytest.raises(ValueError, match="member axis first"):
        MemberEarlyStopping(torch.nn.Sequential(EnsembleLinear(2, 1, 1), EnsembleLinear(3, 1, 1)))
    stopping = MemberEarlyStopping(_Linear(2))
    with pytest.raises(ValueError, match="expected 2 values, one per member, got 3"):
        stopping.update(_Linear(2), torch.ones(3), 0)
    with pytest.raises(ValueError, match="patience must be >= 1"):
        MemberEarlyStopping(_Linear(2), patience=0)


def test_member_mean_matches_a_direct_computation():
    generator = torch.Generator().manual_seed(0)
    batches = [torch.rand(3, n, generator=generator) for n in (5, 7, 2)]
    masks = [torch.rand(3, n, generator=generator) > 0.4 for n in (5, 7, 2)]
    masks[0][2] = False
    plain, masked = MemberMean(3), MemberMean(3)
    for values, mask in zip(batches, masks, strict=True):
        plain.update(values)
        masked.update(values, mask)
    everything, all_masks = torch.cat(batches, 1), torch.cat(masks, 1)
    torch.testing.assert_close(plain.compute(), everything.double().mean(1))
    direct = [everything[k][all_masks[k]].double().mean() for k in range(3)]
    torch.testing.assert_close(masked.compute(), torch.stack(direct))
    torch.testing.assert_close(member_mean(everything, all_masks), torch.stack(direct).float())
    assert member_mean(everything, torch.zeros_like(everything))[0].isnan()
    with pytest.raises(ValueError, match=r"expects values \(3, batch\), got \(2, 5\)"):
        plain.update(torch.ones(2, 5))


def _auroc(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """Mann-Whitney: the fraction of (positive, negative) pairs ranked right (no ties here)."""
    positive, negative = scores[labels == 1], scores[labels == 0]
    return (positive[:, None] > negative[None, :]).double().mean().item()


def test_per_member_wraps_a_torchmetrics_metric():
    generator = torch.Generator().manual_seed(1)
    labels = (torch.rand(200, generator=generator) > 0.5).long()
    scores = torch.rand(4, 200, generator=generator) + 0.3 * torch.arange(4)[:, None] * labels
    metric = per_member(BinaryAUROC(), 4)
    metric.update(scores[:, :120], labels[:120].expand(4, -1))
    metric.update(scores[:, 120:], labels[120:].expand(4, -1))
    expected = [_auroc(scores[k], labels) for k in range(4)]
    assert metric.compute().tolist() == pytest.approx(expected, abs=1e-6)
    assert expected[3] > expected[0]


RSS_PROBE = """
import importlib.util, sys, torch
spec = importlib.util.spec_from_file_location("memory", sys.argv[1])
memory = importlib.util.module_from_spec(spec)
spec.loader.exec_module(memory)

def kept_after_free():
    pages = lambda: int(open("/proc/self/statm").read().split()[1])
    before = pages()
    block = torch.ones(32 * 2**20)  # 128 MB, written
    del block
    return (pages() - before) * 4096 / 2**20

print(kept_after_free(), memory.retain_freed_memory(), kept_after_free())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc and /proc")
def test_retain_freed_memory_keeps_large_blocks_for_reuse():
    from polymath.foundation.ensembles import memory

    result = subprocess.run(
        [sys.executable, "-c", RSS_PROBE, memory.__file__],
        capture_output=True,
        text=True,
        check=True,
    )
    default_kept, changed, retained_kept = result.stdout.split()
    assert changed == "True"
    assert float(default_kept) < 16  # glibc returned the 128 MB block to the system
    assert float(retained_kept) > 100  # now it is kept for the next activation


def test_dropout_keeps_1_minus_p_scaled_and_passes_gradients_through_the_mask():
    from polymath.foundation.ensembles.layers import Dropout

    torch.manual_seed(0)
    x = torch.ones(200, 1000, requires_grad=True)
    out = Dropout(0.3).train()(x)
    kept = out != 0
    assert abs(kept.float().mean().item() - 0.7) < 0.005
    torch.testing.assert_close(out[kept], torch.full_like(out[kept], 1 / 0.7))
    out.sum().backward()
    torch.testing.assert_close(x.grad, kept.float() / 0.7)
    assert torch.equal(Dropout(0.3).eval()(x), x)
    assert torch.equal(Dropout(0.0).train()(x), x)


def test_dropout_follows_the_global_seed():
    from polymath.foundation.ensembles.layers import Dropout

    x = torch.ones(4, 50)
    torch.manual_seed(5)
    first = Dropout(0.5)(x)
    torch.manual_seed(5)
    assert torch.equal(first, Dropout(0.5)(x))
