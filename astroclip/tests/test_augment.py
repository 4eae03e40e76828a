import torch

from polymath.astroclip.data.augment import band_noise, flip_and_turn, multi_crop, psf_blur


def test_flips_and_turns_keep_the_pixels():
    images = torch.rand(8, 10, 10, 3)
    turned = flip_and_turn(images, torch.Generator().manual_seed(0))
    for a, b in zip(images, turned):  # the same pixel values in every band, moved around
        assert torch.equal(a.flatten(0, 1).sort(0).values, b.flatten(0, 1).sort(0).values)
    assert not torch.equal(images, turned)


def test_blur_spreads_a_point_and_keeps_its_flux():
    images = torch.zeros(1, 21, 21, 3)
    images[0, 10, 10] = 1.0
    blurred = psf_blur(images, torch.Generator().manual_seed(0), max_sigma=1.5, probability=1.0)
    assert torch.allclose(blurred.sum((1, 2)), torch.ones(1, 3), atol=1e-5)
    assert blurred[0, 10, 10, 0] < 1.0 and blurred[0, 10, 11, 0] > 0
    unblurred = psf_blur(images, torch.Generator().manual_seed(0), probability=0.0)
    assert torch.allclose(unblurred, images, atol=1e-6)


def test_noise_is_per_band_at_the_sky_level():
    images = torch.zeros(200, 16, 16, 3)
    noisy = band_noise(images, torch.Generator().manual_seed(0), max_factor=1.0, probability=1.0)
    std = noisy.std((0, 1, 2))
    assert std[2] > std[1] > std[0] > 0  # z is the noisiest band, g the quietest


def test_multi_crop_gives_two_global_and_n_local_views():
    globals_, locals_ = multi_crop(
        torch.rand(2, 152, 152, 3) * 0.1, torch.Generator().manual_seed(0), local_crops=3
    )
    assert [v.shape for v in globals_] == [(2, 3, 144, 144)] * 2
    assert [v.shape for v in locals_] == [(2, 3, 60, 60)] * 3
    assert not torch.equal(globals_[0], globals_[1])
