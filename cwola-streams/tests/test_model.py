import math

import lightning as L
import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from toy import toy_patch

from polymath.cwola_streams.data.datamodule import PatchDataModule
from polymath.cwola_streams.model import CWoLaClassifier
from polymath.cwola_streams.module import CWoLaModule
from polymath.cwola_streams.pipeline import patch_scores


def test_keras_initialisation_option():
    keras = CWoLaClassifier(members=4, in_features=5, hidden=(256, 256, 256), init="keras")
    torch_init = CWoLaClassifier(members=4, in_features=5, hidden=(256, 256, 256), init="torch")
    first_keras, first_torch = keras.net.layers[1], torch_init.net.layers[1]
    glorot = math.sqrt(6 / (256 + 256))
    assert first_keras.weight.abs().max() <= glorot
    assert first_keras.weight.abs().max() > 0.95 * glorot  # uniform up to the Glorot bound
    assert (first_keras.bias == 0).all()
    assert first_torch.weight.abs().max() <= 1 / 16 and (first_torch.bias != 0).any()
    # Members differ from one another, and the same (seed, member) gives the same member.
    assert not torch.equal(keras.net.layers[0].weight[0], keras.net.layers[0].weight[1])
    again = CWoLaClassifier(members=4, in_features=5, hidden=(256, 256, 256), init="keras")
    assert torch.equal(again.net.layers[0].weight, keras.net.layers[0].weight)


def test_each_member_standardises_with_its_own_statistics(tmp_path):
    model = CWoLaClassifier(members=2, in_features=3, hidden=(8,), dropout=0.0)
    x = torch.randn(10, 3)
    model.set_standardization(torch.zeros(2, 3), torch.ones(2, 3))
    base = model(x)
    model.set_standardization(
        torch.stack([torch.zeros(3), torch.full((3,), 5.0)]), torch.ones(2, 3)
    )
    shifted = model(x)
    assert torch.allclose(shifted[0], base[0]) and not torch.allclose(shifted[1], base[1])
    saved = CWoLaClassifier.load(model.save(tmp_path / "model.pt"))
    assert torch.allclose(saved(x), shifted)


def test_cwola_finds_a_blob_in_the_signal_region():
    torch.manual_seed(0)
    patch = toy_patch()
    datamodule = PatchDataModule.from_patch(
        patch, window_center=0.0, sr_half=0.5, sb_half=1.5, n_folds=3, repeats=1, batch_size=2000
    )
    module = CWoLaModule(
        members=datamodule.members, hidden=(32, 32), dropout=0.0, patience=5, lr=3e-3
    )
    trainer = L.Trainer(
        max_epochs=40,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(module, datamodule)
    result = patch_scores(module, datamodule)
    in_window = np.isfinite(result.scores)
    assert in_window.sum() == len(datamodule.selection[0])
    # Every member's standardisation came from its own training folds.
    train_mask = torch.from_numpy(datamodule.folds.masks()[0][0])
    expected = datamodule.inputs[train_mask].mean(0)
    assert torch.allclose(module.model.input_mean[0, 0], expected, atol=1e-4)
    # The blob is found: out-of-fold scores rank stream stars far above the field.
    auc = roc_auc_score(result.is_member[in_window], result.scores[in_window])
    assert auc > 0.9
