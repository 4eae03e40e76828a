import numpy as np
import pytest
import torch

from polymath.astroclip.baselines import (
    PhotometryMLP,
    ResNet,
    SpectrumConvAttention,
    SupervisedModule,
    aperture_magnitudes,
)


def test_each_baseline_maps_its_input_to_the_targets():
    assert ResNet(outputs=5)(torch.rand(2, 3, 144, 144)).shape == (2, 5)
    assert SpectrumConvAttention(outputs=5)(torch.randn(2, 7781, 1)).shape == (2, 5)
    assert PhotometryMLP(outputs=5)(torch.randn(2, 3)).shape == (2, 5)
    with pytest.raises(ValueError, match="7781 pixels"):
        SpectrumConvAttention()(torch.randn(2, 7780))


def test_the_spectrum_network_sees_the_flux_scale():
    network = SpectrumConvAttention(outputs=1).eval()
    spectrum = torch.randn(1, 7781) + 5
    assert not torch.allclose(network(spectrum), network(spectrum * 10))


def test_aperture_magnitudes_of_a_known_flux():
    images = np.zeros((1, 152, 152, 3), np.float32)
    images[0, 75:77, 75:77] = [1.0, 10.0, 100.0]  # 4 pixels in the aperture
    assert np.allclose(aperture_magnitudes(images)[0], 22.5 - 2.5 * np.log10([4, 40, 400]))


def test_a_supervised_step_maps_fluxes_to_rgb_and_learns():
    module = SupervisedModule(kind="image", outputs=2)
    module.log = lambda *a, **k: None
    batch = {"inputs": torch.rand(4, 152, 152, 3) * 0.1, "targets": torch.randn(4, 2)}
    module.training_step(batch, 0).backward()
    assert module.model.stem[0].weight.grad.abs().sum() > 0


def test_predictions_are_made_from_the_batch_inputs():
    module = SupervisedModule(kind="photometry", outputs=2).eval()
    batch = {"inputs": torch.randn(4, 3), "targets": torch.randn(4, 2)}
    assert torch.equal(module.predict_step(batch, 0), module.model(batch["inputs"]))
