"""Astronomical augmentations and DINO's multi-crop, on g,r,z flux cutouts (B, H, W, 3).

As in AstroDINO (after Stein et al. 2022), the physical augmentations act on fluxes before the
arcsinh RGB mapping: flips and 90-degree turns (the sky has no up), a Gaussian PSF blur of random
width, and Gaussian noise per band at a random multiple of that band's sky noise. Then come the
crops (two global 144 px, N local 60 px, each a random square cut of the 152 px cutout), each
mapped to the network's RGB input. The reference's random-apply wrappers apply a transform with
probability ``1 - p``; here ``p`` is the probability that it is applied.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from polymath.astroclip.data.preprocess import arcsinh_rgb
from polymath.astroclip.data.simulate import SKY_NOISE


def flip_and_turn(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Each image flipped left-right with probability 1/2 and turned by k x 90 degrees."""
    out = images.clone()
    flips = torch.rand(len(images), generator=generator) < 0.5
    turns = torch.randint(0, 4, (len(images),), generator=generator)
    for i in range(len(images)):
        image = out[i].flip(1) if flips[i] else out[i]
        out[i] = image.rot90(int(turns[i]), (0, 1))
    return out


def psf_blur(
    images: torch.Tensor,
    generator: torch.Generator,
    max_sigma: float = 1.5,
    probability: float = 0.5,
) -> torch.Tensor:
    """A Gaussian blur of width uniform in (0, ``max_sigma``) pixels, per image, all bands."""
    batch, height, width, bands = images.shape
    sigma = torch.rand(batch, generator=generator) * max_sigma
    sigma = torch.where(torch.rand(batch, generator=generator) < probability, sigma, 0.0)
    radius = max(1, int(3 * max_sigma))
    x = torch.arange(-radius, radius + 1, dtype=images.dtype)
    kernel = torch.exp(-0.5 * (x / sigma.clamp(min=1e-3)[:, None]) ** 2)
    kernel = kernel / kernel.sum(1, keepdim=True)  # (B, K); sigma ~ 0 gives a delta
    planes = images.permute(0, 3, 1, 2).reshape(1, batch * bands, height, width)
    kernel = kernel.repeat_interleave(bands, 0)[:, None]  # (B * bands, 1, K)
    groups = batch * bands
    planes = F.pad(planes, (radius, radius, 0, 0), mode="reflect")
    planes = F.conv2d(planes, kernel[:, :, None], groups=groups)  # along x
    planes = F.pad(planes, (0, 0, radius, radius), mode="reflect")
    planes = F.conv2d(planes, kernel[..., None], groups=groups)  # along y
    return planes.reshape(batch, bands, height, width).permute(0, 2, 3, 1)


def band_noise(
    images: torch.Tensor,
    generator: torch.Generator,
    max_factor: float = 1.0,
    probability: float = 0.5,
) -> torch.Tensor:
    """Gaussian noise in each band at a random fraction (up to ``max_factor``) of its sky noise."""
    batch = len(images)
    factor = torch.rand(batch, 1, 1, 1, generator=generator) * max_factor
    factor = factor * (torch.rand(batch, 1, 1, 1, generator=generator) < probability)
    sky = torch.tensor(SKY_NOISE, dtype=images.dtype)
    return images + factor * sky * torch.randn(images.shape, generator=generator)


def random_crop(images: torch.Tensor, size: int, generator: torch.Generator) -> torch.Tensor:
    """One random ``size`` x ``size`` square per image."""
    height, width = images.shape[1:3]
    if size > min(height, width):
        raise ValueError(f"a {size}-pixel crop does not fit {height}x{width} images")
    tops = torch.randint(0, height - size + 1, (len(images),), generator=generator)
    lefts = torch.randint(0, width - size + 1, (len(images),), generator=generator)
    return torch.stack(
        [image[t : t + size, s : s + size] for image, t, s in zip(images, tops, lefts)]
    )


def to_network(images: torch.Tensor) -> torch.Tensor:
    """Fluxes (B, H, W, 3) -> network input (B, 3, W, H), as ``preprocess_images`` without the
    centre crop."""
    return arcsinh_rgb(images).permute(0, 3, 2, 1).contiguous()


def multi_crop(
    images: torch.Tensor,
    generator: torch.Generator,
    local_crops: int = 8,
    global_size: int = 144,
    local_size: int = 60,
    blur_probability: float = 0.5,
    noise_probability: float = 0.5,
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """DINO's views of a batch of flux cutouts: 2 global and ``local_crops`` local crops, each
    independently flipped, turned, blurred and noised, in the network's RGB layout."""

    def view(size: int) -> torch.Tensor:
        augmented = flip_and_turn(images, generator)
        augmented = psf_blur(augmented, generator, probability=blur_probability)
        augmented = band_noise(augmented, generator, probability=noise_probability)
        return to_network(random_crop(augmented, size, generator))

    return [view(global_size) for _ in range(2)], [view(local_size) for _ in range(local_crops)]
