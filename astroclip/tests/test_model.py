import pytest
import torch

from polymath.astroclip.model import AstroCLIP, SpecFormer, VisionTransformer, tokenize_spectra
from polymath.astroclip.module import AstroCLIPModule

TINY = dict(image_width=16, image_depth=1, spectrum_width=16, spectrum_depth=1, embed_dim=8)


def test_vit_tokens_and_the_alignment_quirk():
    vit = VisionTransformer(width=16, depth=1, heads=2)
    images = torch.rand(2, 3, 144, 144)
    assert vit(images).shape == (2, 145, 16)  # CLS + 12 x 12 patches
    assert vit.embed(images).shape == (2, 16)
    assert vit.alignment_tokens(images).shape == (2, 144, 16)  # no CLS, no positions
    with torch.no_grad():
        vit.pos_embed.add_(1.0)
    assert not torch.allclose(vit(images)[:, 1:], vit.alignment_tokens(images))


def test_specformer_reconstructs_every_token():
    model = SpecFormer(width=16, depth=1, heads=2)
    tokens = tokenize_spectra(torch.randn(2, 7781))
    assert model(tokens).shape == tokens.shape
    assert model.embed(torch.randn(2, 7781)).shape == (2, 16)


def test_astroclip_saves_and_loads(tmp_path):
    model = AstroCLIP(**TINY).eval()
    loaded = AstroCLIP.load(model.save(tmp_path / "model.pt")).eval()
    images, spectra = torch.rand(2, 3, 144, 144), torch.randn(2, 7781, 1)
    for a, b in zip(model(images, spectra), loaded(images, spectra)):
        assert a.shape == (2, 8) and torch.equal(a, b)


def test_logit_scale_is_fixed_unless_asked_and_frozen_backbones_do_not_train():
    assert not AstroCLIP(**TINY).log_logit_scale.requires_grad
    assert torch.isclose(AstroCLIP(**TINY).logit_scale, torch.tensor(15.5))
    assert AstroCLIP(**TINY, learnable_logit_scale=True).log_logit_scale.requires_grad
    module = AstroCLIPModule(**TINY, freeze_backbones=True)
    trainable = {n.split(".")[1] for n, p in module.named_parameters() if p.requires_grad}
    assert trainable == {"image_head", "spectrum_head"}


def test_local_crops_get_interpolated_positions_and_masks_hide_patches():
    vit = VisionTransformer(width=16, depth=1, heads=2).eval()
    assert vit(torch.rand(2, 3, 60, 60)).shape == (2, 26, 16)  # CLS + 5 x 5 patches
    images = torch.rand(1, 3, 144, 144)
    masks = torch.zeros(1, 144, dtype=torch.bool)
    assert torch.equal(vit(images, masks), vit(images))
    masks[0, :10] = True
    with torch.no_grad():
        vit.mask_token.fill_(3.0)
    assert not torch.allclose(vit(images, masks), vit(images))


def test_layer_scale_zero_means_no_layer_scale():
    assert AstroCLIP(**TINY, image_layer_scale=0.0).image_encoder.blocks[0].gamma1 is None
    gamma = AstroCLIP(**TINY).image_encoder.blocks[0].gamma1
    assert torch.allclose(gamma, torch.full_like(gamma, 1e-5))


def test_the_alignment_starts_from_pretrained_encoders(tmp_path):
    from polymath.astroclip.checkpoints import CheckpointError

    vit = VisionTransformer(width=16, depth=1, heads=4, layer_scale=0.0)
    specformer = SpecFormer(width=16, depth=1, heads=1)
    module = AstroCLIPModule(
        **TINY,
        image_layer_scale=0.0,
        image_from=str(vit.save(tmp_path / "vit.pt")),
        spectrum_from=str(specformer.save(tmp_path / "specformer.pt")),
    )
    assert torch.equal(module.model.image_encoder.patch_embed.weight, vit.patch_embed.weight)
    assert torch.equal(module.model.spectrum_encoder.position, specformer.position)
    with pytest.raises(CheckpointError, match="missing .*gamma1"):
        AstroCLIPModule(**TINY, image_from=str(tmp_path / "vit.pt"))  # LayerScale differs
