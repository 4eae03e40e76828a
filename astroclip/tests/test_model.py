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
