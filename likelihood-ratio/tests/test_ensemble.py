import lightning as L
import pytest
import torch

from polymath.foundation import build_trainer
from polymath.foundation.models import SavableModel
from polymath.likelihood_ratio import LikelihoodRatioEnsemble, RatioDataModule, RatioMLP


def _fit(members: int, first_member: int = 0, epochs: int = 3, test: bool = True, **model):
    L.seed_everything(0, verbose=False)
    data = RatioDataModule("normal", n=600, n_test=200)
    module = LikelihoodRatioEnsemble(
        members=members, first_member=first_member, dropout=0.0, hidden=(16, 16), **model
    )
    trainer = build_trainer({"max_epochs": epochs, "progress": "none", "accelerator": "cpu"})
    trainer.fit(module, datamodule=data)
    if test:
        trainer.test(module, datamodule=data, verbose=False)
    return module, data


def test_members_start_and_end_different():
    model = RatioMLP(members=4, input_dim=1, hidden=(8,))
    weights = model.ensemble.layers[0].weight
    assert not torch.allclose(weights[0], weights[1])
    module, data = _fit(members=3)
    ratios = module.likelihood_ratio(data.test_arrays()[0])
    assert ratios.shape == (3, 200)
    assert not torch.allclose(ratios[0], ratios[1])
    assert module.member_mae.shape == (3,)
    assert [row["member"] for row in module.member_table()] == [0, 1, 2]
    assert module.member_table()[1]["test_mae"] == pytest.approx(module.member_mae[1].item())


def test_batched_training_matches_one_member_alone():
    """Member k of a batched ensemble equals a one-member ensemble seeded as member k."""
    batched, data = _fit(members=3)
    alone, _ = _fit(members=1, first_member=2)
    x = data.test_arrays()[0]
    assert torch.allclose(
        batched.likelihood_ratio(x)[2], alone.likelihood_ratio(x)[0], rtol=1e-4, atol=1e-5
    )


def test_keras_initialisation_reaches_the_ensemble():
    keras = RatioMLP(members=2, input_dim=64, hidden=(128,), init="keras").ensemble.layers[0]
    assert keras.weight.abs().max() <= (6 / (64 + 128)) ** 0.5
    assert torch.count_nonzero(keras.bias) == 0
    with pytest.raises(ValueError, match="unknown init"):
        RatioMLP(members=1, input_dim=1, init="he")


def test_members_stop_on_their_own_and_end_on_their_best_weights():
    """Patience 1 on a learning rate that overshoots: members stop at different epochs."""
    module, _ = _fit(members=4, epochs=30, patience=1, lr=0.05)
    stopping = module.member_stopping
    assert not stopping.active.any()
    assert len(set(stopping.stopped_epoch.tolist())) > 1
    assert module.trainer.current_epoch < 30
    assert torch.all(stopping.best_epoch < stopping.stopped_epoch)
    for name, param in module.model.named_parameters():
        assert torch.equal(param, getattr(stopping.best_weights, name.replace(".", "__")))


def test_a_stopped_member_no_longer_changes_in_training():
    module = LikelihoodRatioEnsemble(members=2, hidden=(4,))
    module.member_stopping.active[0] = False
    frozen = module.model.ensemble.layers[0].weight[0].detach().clone()
    module.member_stopping.best_weights.ensemble__layers__0__weight[0] = frozen
    optimizer = torch.optim.Adam(module.parameters(), lr=0.1)
    for _ in range(2):
        optimizer.zero_grad()
        z = module(torch.randn(32, 1))
        module.active_loss(module.objective.per_sample(z, torch.ones(32)).mean(1)).backward()
        optimizer.step()
        module.member_stopping.hold(module.model)
    assert torch.equal(module.model.ensemble.layers[0].weight[0], frozen)
    assert not torch.equal(module.model.ensemble.layers[0].weight[1], frozen)


def test_the_ratio_uses_the_training_standardization_and_survives_saving(tmp_path):
    module, data = _fit(members=2, epochs=1, test=False, log_each_member=True)
    logged = module.trainer.callback_metrics
    assert logged["val/loss/max"] == max(logged["val/loss/member_0"], logged["val/loss/member_1"])
    mean, std = data.standardization
    assert torch.allclose(module.model.input_mean, mean)
    assert torch.allclose(module.model.input_std, std)
    loaded = SavableModel.load(module.model.save(tmp_path / "model.pt")).eval()
    x = data.test_arrays()[0]
    assert torch.allclose(loaded(x), module.eval().model(x))
