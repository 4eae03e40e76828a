import torch

from polymath.astroclip.model import SpecFormer, tokenize_spectra
from polymath.astroclip.pretrain_spectrum import SpecFormerModule, mask_chunks, masked_mse


def test_six_chunks_of_fifty_one_in_each_sixth():
    tokens = torch.ones(4, 778, 22)
    masked, mask = mask_chunks(tokens, generator=torch.Generator().manual_seed(0))
    assert mask.sum(1).tolist() == [300] * 4
    for part in range(6):
        assert mask[:, part * 129 : (part + 1) * 129].sum(1).tolist() == [50] * 4
    assert torch.all(masked[mask] == 0) and torch.all(masked[~mask] == 1)


def test_masked_mse_ignores_unmasked_tokens():
    target = torch.zeros(1, 10, 2)
    predicted = torch.zeros(1, 10, 2)
    predicted[0, 5:] = 3.0  # wrong only where unmasked
    mask = torch.zeros(1, 10, dtype=torch.bool)
    mask[0, :5] = True
    assert masked_mse(predicted, target, mask) == 0
    predicted[0, 0] = 2.0
    assert torch.isclose(masked_mse(predicted, target, mask), torch.tensor(4.0 * 2 / 20 / 0.5))


def test_the_pretraining_step_trains_the_specformer():
    module = SpecFormerModule(width=16, depth=1)
    assert isinstance(module.model, SpecFormer)
    batch = {"spectra": torch.randn(2, 7781, 1)}
    module.step(batch, "train").backward()
    assert module.model.embedding.weight.grad.abs().sum() > 0
    assert tokenize_spectra(batch["spectra"]).shape == (2, 778, 22)
