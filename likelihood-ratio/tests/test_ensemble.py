import lightning as L
import pytest
import torch

from polymath.foundation import build_trainer
from polymath.likelihood_ratio import EnsembleMLP, LikelihoodRatioEnsemble, RatioDataModule


def _fit(members: int, first_member: int = 0, epochs: int = 3, **model):
    L.seed_everything(0, verbose=False)
    data = RatioDataModule("normal", n=600, n_test=200)
    module = LikelihoodRatioEnsemble(
        members=members, first_member=first_member, dropout=0.0, hidden=(16, 16), **model
    )
    trainer = build_trainer({"max_epochs": epochs, "progress": "none", "accelerator": "cpu"})
    trainer.fit(module, datamodule=data)
    trainer.test(module, datamodule=data, verbose=False)
    return module, data


def test_members_start_and_end_different():
    model = EnsembleMLP(members=4, input_dim=1, hidden=(8,))
    weights = model.layers[0].weight
    assert not torch.allclose(weights[0], weights[1])
    module, data = _fit(members=3)
    ratios = module.likelihood_ratio(data.test_arrays()[0])
    assert ratios.shape == (3, 200)
    assert not torch.allclose(ratios[0], ratios[1])
    assert module.member_mae.shape == (3,)


def test_batched_training_matches_one_member_alone():
    """Member k of a batched ensemble equals a one-member ensemble seeded as member k."""
    batched, data = _fit(members=3)
    alone, _ = _fit(members=1, first_member=2)
    x = data.test_arrays()[0]
    assert torch.allclose(
        batched.likelihood_ratio(x)[2], alone.likelihood_ratio(x)[0], rtol=1e-4, atol=1e-5
    )


def test_keras_initialisation_is_glorot_uniform_with_zero_bias():
    model = EnsembleMLP(members=2, input_dim=64, hidden=(128,), init="keras")
    layer = model.layers[0]
    limit = (6 / (64 + 128)) ** 0.5
    assert layer.weight.abs().max() <= limit
    assert layer.weight.abs().max() > 0.9 * limit
    assert torch.count_nonzero(layer.bias) == 0
    with pytest.raises(ValueError, match="unknown init"):
        EnsembleMLP(members=1, input_dim=1, init="he")


def test_members_stop_on_their_own_and_keep_their_best_weights():
    module = LikelihoodRatioEnsemble(members=2, patience=2, hidden=(4,))
    module.trainer = type("T", (), {"sanity_checking": False, "current_epoch": 0})()
    module._early_stopping_update(torch.tensor([1.0, 1.0]))
    best_first = module.model.layers[0].weight[0].detach().clone()
    with torch.no_grad():
        module.model.layers[0].weight.add_(1.0)
    module._early_stopping_update(torch.tensor([2.0, 0.5]))  # member 0 worse, member 1 better
    module._early_stopping_update(torch.tensor([2.0, 0.4]))
    assert module.active.tolist() == [False, True]
    assert module.best_val.tolist() == pytest.approx([1.0, 0.4])
    module.on_fit_end()
    assert torch.equal(module.model.layers[0].weight[0], best_first)


def test_stopped_members_no_longer_change():
    module = LikelihoodRatioEnsemble(members=2, hidden=(4,))
    module.active[0] = False
    frozen = module.model.layers[0].weight[0].detach().clone()
    optimizer = torch.optim.SGD(module.parameters(), lr=0.1)
    z = module(torch.randn(32, 1))
    module.objective.per_sample(z, torch.ones(32)).mean(1).sum().backward()
    optimizer.step()
    module._hold_stopped_members()
    assert torch.equal(module.model.layers[0].weight[0], frozen)
    assert not torch.equal(module.model.layers[0].weight[1], frozen)


def test_the_ratio_uses_the_training_standardization():
    module, data = _fit(members=2, epochs=1)
    mean, std = data.standardization
    assert torch.allclose(module.model.input_mean, mean) and torch.allclose(
        module.model.input_std, std
    )
