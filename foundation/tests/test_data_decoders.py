"""Decoders that packages register, and images through Pillow."""

import io

import numpy as np
import pytest
import torch

from polymath.foundation.data import decoders, register_decoder, shard_dataset, write_shards


@pytest.fixture
def registry(monkeypatch):
    """Registrations made by a test are undone after it."""
    monkeypatch.setattr(decoders, "_DECODERS", dict(decoders._DECODERS))


def shout(data: bytes) -> str:
    return data.decode().upper()


def test_a_registered_decoder_reads_a_new_extension(tmp_path, registry):
    write_shards([{"word.shout": b"abc"}, {"word.shout": b"de"}], tmp_path)
    assert [s["word"] for s in shard_dataset(tmp_path)] == [b"abc", b"de"]  # unknown: raw bytes
    register_decoder(".shout", shout)
    assert [s["word"] for s in shard_dataset(tmp_path)] == ["ABC", "DE"]


def test_registering_a_known_extension_needs_replace(registry):
    with pytest.raises(ValueError, match=r"\.json already has a decoder"):
        register_decoder("json", shout)
    register_decoder("JSON", shout, replace=True)
    assert decoders.registered_decoders()["json"] is shout
    with pytest.raises(ValueError, match="one name"):
        register_decoder("tar.gz", shout)
    with pytest.raises(TypeError, match="callable"):
        register_decoder("x", "not a function")


@pytest.mark.parametrize(("extension", "mode"), [("png", "RGB"), ("png", "L"), ("jpeg", "RGB")])
def test_images_decode_to_uint8_tensors_and_batch(tmp_path, extension, mode):
    image_module = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(0)
    shape = (5, 7, 3) if mode == "RGB" else (5, 7)
    pixels = [rng.integers(0, 256, shape, dtype=np.uint8) for _ in range(3)]
    encoded = []
    for array in pixels:
        buffer = io.BytesIO()
        image_module.fromarray(array, mode).save(buffer, format=extension.upper())
        encoded.append(buffer.getvalue())
    write_shards([{f"image.{extension}": data} for data in encoded], tmp_path)
    (batch,) = shard_dataset(tmp_path, batch_size=3)
    assert batch["image"].dtype == torch.uint8 and batch["image"].shape == (3, *shape)
    if extension == "png":  # lossless
        assert torch.equal(batch["image"], torch.from_numpy(np.stack(pixels)))
