import pytest
import torch

from polymath.astroclip.model import tokenize_spectra


def test_tokens_of_a_hand_made_spectrum():
    spectrum = torch.arange(7781, dtype=torch.float32).unsqueeze(0)
    tokens = tokenize_spectra(spectrum.unsqueeze(-1))
    assert tokens.shape == (1, 778, 22)
    mean, std = spectrum.mean(), spectrum.std()
    standard = (spectrum[0] - mean) / std
    assert torch.allclose(tokens[0, 0, :2], torch.stack([(mean - 2) / 2, (std - 2) / 8]))
    assert torch.all(tokens[0, 0, 2:] == 0)
    assert torch.all(tokens[0, 1:, :2] == 0)  # two zeros of left padding
    assert torch.allclose(tokens[0, 1, 2:], standard[0:20])
    assert torch.allclose(tokens[0, 2, 2:], standard[10:30])  # stride 10
    assert torch.allclose(tokens[0, 777, 2:], standard[7760:7780])  # last full window


def test_the_std_is_clipped_at_0_2():
    tokens = tokenize_spectra(torch.full((1, 7781), 3.0) + torch.linspace(0, 1e-3, 7781))
    assert torch.isclose(tokens[0, 0, 1], torch.tensor((0.2 - 2) / 8))


def test_a_spectrum_of_the_wrong_length_gets_a_clear_error():
    with pytest.raises(ValueError, match="DESI grid"):
        tokenize_spectra(torch.zeros(2, 7780))
