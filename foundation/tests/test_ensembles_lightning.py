"""EnsembleModule under a real Trainer: members stop on their own, stay still, end on their best."""

import lightning as L
import torch
from torch.utils.data import DataLoader, TensorDataset

from polymath.foundation import build_trainer
from polymath.foundation.ensembles import EnsembleMLP, MemberEarlyStopping, MemberMean
from polymath.foundation.ensembles.lightning import EnsembleModule

torch.set_num_threads(1)

# Validation values fed to early stopping, one row per epoch: member 0 stops after epoch 3 (best 1),
# member 1 after epoch 4 (best 2), member 2 keeps improving until its last gain at epoch 4.
SCRIPT = torch.tensor(
    [[5.0, 5.0, 5.0], [1.0, 4.0, 4.0], [2.0, 3.0, 3.0], [3.0, 3.5, 2.0], [0.5, 3.1, 1.0]]
    + [[9.0, 9.0, 9.0]] * 5
)


class Regression(EnsembleModule):
    def __init__(self, members: int = 3, patience: int = 2, scripted: bool = True) -> None:
        super().__init__()
        self.model = EnsembleMLP(members, 2, hidden=(8,))
        self.member_stopping = MemberEarlyStopping(self.model, patience=patience)
        self.val_loss = MemberMean(members)
        self.scripted = scripted
        self.weights_at_validation: list[torch.Tensor] = []

    def _losses(self, batch):
        x, y = batch
        return (self.model(x).squeeze(-1) - y) ** 2

    def training_step(self, batch, batch_idx):
        return self.active_loss(self._losses(batch).mean(1))

    def validation_step(self, batch, batch_idx):
        self.val_loss.update(self._losses(batch))

    def on_validation_epoch_end(self):
        measured = self.val_loss.compute()
        self.val_loss.reset()
        self.log_members("val/loss", measured, each=True)
        if self.trainer.sanity_checking:
            return
        self.weights_at_validation.append(self.model.layers[0].weight.detach().clone())
        self.stop_members(SCRIPT[self.current_epoch] if self.scripted else measured)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-2)


def _loaders():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(256, 2, generator=generator)
    data = TensorDataset(x, x.sum(1).sin())
    return DataLoader(data, batch_size=64), DataLoader(data, batch_size=128)


def _fit(module: EnsembleModule, epochs: int) -> L.Trainer:
    L.seed_everything(0, verbose=False)
    trainer = build_trainer({"max_epochs": epochs, "progress": "none", "accelerator": "cpu"})
    trainer.fit(module, *_loaders())
    return trainer


def test_members_stop_alone_stay_still_and_end_on_their_best_weights():
    module = Regression()
    trainer = _fit(module, epochs=10)
    stopping = module.member_stopping
    assert stopping.stopped_epoch.tolist() == [3, 4, 6]
    assert stopping.best_epoch.tolist() == [1, 2, 4]
    assert trainer.current_epoch == 7  # every member stopped at epoch 6: the fit ended early
    seen = module.weights_at_validation
    for k, (best, stop) in enumerate(zip([1, 2, 4], [3, 4, 6], strict=True)):
        for epoch in range(stop + 1, len(seen)):
            assert torch.equal(seen[epoch][k], seen[best][k]), (k, epoch)  # held since it stopped
        assert torch.equal(module.model.layers[0].weight[k], seen[best][k])
    assert not torch.equal(seen[1][2], seen[4][2])  # an active member kept training


def test_per_member_validation_loss_is_logged_for_every_member():
    module = Regression(scripted=False, patience=50)
    trainer = _fit(module, epochs=1)
    metrics = trainer.callback_metrics
    members = torch.stack([metrics[f"val/loss/member_{k}"] for k in range(3)])
    x, y = _loaders()[1].dataset.tensors
    with torch.no_grad():
        direct = ((module.model.eval()(x).squeeze(-1) - y) ** 2).mean(1)
    torch.testing.assert_close(members, direct)
    torch.testing.assert_close(metrics["val/loss"], direct.mean())
    torch.testing.assert_close(metrics["val/loss/max"], direct.max())
    assert float(metrics["val/active_members"]) == 3


def test_active_loss_sums_the_members_still_training():
    module = Regression()
    module.member_stopping.active[1] = False
    losses = torch.tensor([1.0, float("nan"), 2.0], requires_grad=True)
    total = module.active_loss(losses)
    total.backward()
    assert total.item() == 3.0
    assert losses.grad.tolist() == [1.0, 0.0, 1.0]
