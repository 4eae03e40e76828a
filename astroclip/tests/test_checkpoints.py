import pytest
import torch
from reference_layouts import (
    dinov2_patch_tokens,
    dinov2_state,
    head_forward,
    head_state,
    specformer_embedding,
    specformer_state,
)

from polymath.astroclip.checkpoints import (
    CheckpointError,
    load_astroclip,
    load_astrodino,
    load_specformer,
)
from polymath.astroclip.model import AstroCLIP, SpecFormer, VisionTransformer, tokenize_spectra

IMAGES = torch.rand(2, 3, 144, 144)
SPECTRA = torch.randn(2, 7781) * 3 + 5


@pytest.mark.parametrize("chunks", [0, 2])
@pytest.mark.parametrize("prefix", ["", "teacher.backbone."])
def test_an_astrodino_checkpoint_gives_the_reference_patch_tokens(chunks, prefix):
    state = dinov2_state(width=16, depth=4, chunks=chunks)
    vit = load_astrodino(
        {prefix + k: v for k, v in state.items()},
        VisionTransformer(width=16, depth=4, heads=2, layer_scale=1.0),
    ).eval()
    expected = dinov2_patch_tokens(state, IMAGES, heads=2)
    assert torch.allclose(vit.alignment_tokens(IMAGES), expected, atol=1e-5)
    assert torch.equal(vit.cls_token, state["cls_token"])


def test_a_specformer_checkpoint_gives_the_reference_embedding(tmp_path):
    state = specformer_state(width=16, depth=2)
    path = tmp_path / "specformer.ckpt"
    torch.save({"state_dict": state, "hyper_parameters": {"embed_dim": 16}}, path)
    model = load_specformer(path, SpecFormer(width=16, depth=2, heads=2)).eval()
    tokens = tokenize_spectra(SPECTRA)
    expected = specformer_embedding(state, tokens, heads=2)
    assert torch.allclose(model.hidden(tokens), expected, atol=1e-5)


def test_an_astroclip_checkpoint_gives_the_reference_embeddings():
    image, spectrum = dinov2_state(16, 2, chunks=2), specformer_state(16, 1)
    image_head, spectrum_head = head_state(8, 16, 4, seed=2), head_state(8, 16, 4, seed=3)
    state = {
        **{f"image_encoder.backbone.{k}": v for k, v in image.items()},
        **{f"spectrum_encoder.backbone.{k}": v for k, v in spectrum.items()},
        **{f"image_encoder.{k}": v for k, v in image_head.items()},
        **{f"spectrum_encoder.{k}": v for k, v in spectrum_head.items()},
    }
    model = AstroCLIP(
        image_width=16, image_depth=2, spectrum_width=16, spectrum_depth=1, embed_dim=8
    )
    model.spectrum_encoder = SpecFormer(width=16, depth=1, heads=2)
    model.image_encoder = VisionTransformer(width=16, depth=2, heads=2)
    load_astroclip(state, model).eval()
    image_tokens = dinov2_patch_tokens(image, IMAGES, heads=2)
    spectrum_tokens = specformer_embedding(spectrum, tokenize_spectra(SPECTRA), heads=2)
    got_image, got_spectrum = model(IMAGES, SPECTRA)
    want_image = head_forward(image_head, image_tokens, 4, residual=False)
    want_spectrum = head_forward(spectrum_head, spectrum_tokens, 4, residual=True)
    assert torch.allclose(got_image, want_image, atol=1e-5)
    assert torch.allclose(got_spectrum, want_spectrum, atol=1e-5)
    assert torch.isclose(model.logit_scale, torch.tensor(15.5))  # the reference's fixed scale


def test_missing_unexpected_and_misshapen_keys_are_named():
    state = dinov2_state(width=16, depth=2)
    del state["blocks.1.ls2.gamma"]
    state["blocks.0.attn.extra"] = torch.zeros(1)
    with pytest.raises(CheckpointError) as error:
        load_astrodino(state, VisionTransformer(width=16, depth=2, heads=2))
    message = str(error.value)
    assert "1 missing (blocks.1.gamma2)" in message
    assert "1 unexpected (blocks.0.attn.extra)" in message
    with pytest.raises(CheckpointError, match=r"misshapen \(blocks.0.gamma1 \(16,\) vs \(8,\)"):
        load_astrodino(dinov2_state(width=16, depth=2), VisionTransformer(8, 2, 2))


def test_a_file_that_is_not_a_checkpoint_gets_one_line(tmp_path):
    (tmp_path / "text.ckpt").write_text("not a checkpoint")
    with pytest.raises(CheckpointError, match="not a torch checkpoint"):
        load_specformer(tmp_path / "text.ckpt")
    with pytest.raises(CheckpointError, match="no such file"):
        load_specformer(tmp_path / "absent.ckpt")
