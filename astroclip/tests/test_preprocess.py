import numpy as np
import pytest
import torch

from polymath.astroclip.data.preprocess import arcsinh_rgb, centre_crop, preprocess_images


def direct_rgb(image: np.ndarray) -> np.ndarray:
    """The Legacy Survey viewer's mapping, written out for one (H, W, 3) g,r,z image."""
    scales = {0: (2, 6.0), 1: (1, 3.4), 2: (0, 2.2)}
    total = sum(np.maximum(0, image[..., b] * s + 0.03) for b, (_, s) in scales.items()) / 3
    stretch = np.arcsinh(20 * total) / np.sqrt(20)
    total = total + (total == 0) * 1e-6
    rgb = np.zeros_like(image)
    for band, (plane, scale) in scales.items():
        rgb[..., plane] = (image[..., band] * scale + 0.03) * stretch / total
    return np.clip(rgb, 0, 1)


def test_arcsinh_rgb_matches_the_direct_formula():
    image = np.random.default_rng(0).normal(0, 0.2, (1, 9, 7, 3)).astype(np.float32)
    expected = direct_rgb(image[0])
    assert np.allclose(arcsinh_rgb(torch.from_numpy(image))[0].numpy(), expected, atol=1e-6)
    assert 0 < expected.mean() < 1  # neither all clipped nor all zero


def test_preprocessing_crops_the_centre_and_transposes_x_and_y():
    images = torch.zeros(1, 152, 152, 3)
    images[0, 4 + 10, 4 + 30] = 1.0  # row 10, column 30 of the 144 crop
    out = preprocess_images(images)
    assert out.shape == (1, 3, 144, 144)
    brightest = (out[0].sum(0) == out[0].sum(0).max()).nonzero()[0].tolist()
    assert brightest == [30, 10]  # (B, C, W, H): x first


def test_bad_images_get_a_clear_error():
    with pytest.raises(ValueError, match="3 bands"):
        arcsinh_rgb(torch.zeros(1, 152, 152, 4))
    with pytest.raises(ValueError, match="smaller than"):
        centre_crop(torch.zeros(1, 100, 100, 3))
