"""Image and spectrum preprocessing as the reference applies it at alignment time.

Images: g,r,z fluxes (nanomaggies) -> the Legacy Survey viewer's arcsinh RGB (Q 20, m 0.03, band
scales g 6.0, r 3.4, z 2.2, clipped to [0, 1]; g goes to the blue plane, z to the red) -> centre
crop to 144 -> channels first with x and y transposed, (B, 3, W, H), as the reference's collator
does, so its released weights would fit.

Spectra stay in their physical units (1e-17 erg s^-1 cm^-2 A^-1); SpecFormer standardises each one
by its own mean and standard deviation when it tokenises (``model.tokenize_spectra``).
"""

from __future__ import annotations

import torch

RGB_SCALES = {"g": (2, 6.0), "r": (1, 3.4), "z": (0, 2.2)}  # band: (RGB plane, scale)
RGB_Q = 20.0
RGB_M = 0.03
CROP = 144


def arcsinh_rgb(images: torch.Tensor) -> torch.Tensor:
    """(B, H, W, 3) g,r,z fluxes -> (B, H, W, 3) RGB in [0, 1] (Lupton-style arcsinh stretch)."""
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(
            f"images must be (batch, height, width, 3 bands g,r,z), got {tuple(images.shape)}"
        )
    scaled = [images[..., i] * scale + RGB_M for i, (_, scale) in enumerate(RGB_SCALES.values())]
    intensity = sum(s.clamp(min=0) for s in scaled) / 3
    stretch = torch.asinh(RGB_Q * intensity) / RGB_Q**0.5
    intensity = intensity + (intensity == 0) * 1e-6
    rgb = torch.empty_like(images)
    for s, (plane, _) in zip(scaled, RGB_SCALES.values()):
        rgb[..., plane] = s * stretch / intensity
    return rgb.clamp(0, 1)


def centre_crop(images: torch.Tensor, size: int = CROP) -> torch.Tensor:
    """The central ``size`` x ``size`` pixels of (B, H, W, C) images."""
    height, width = images.shape[1:3]
    if height < size or width < size:
        raise ValueError(f"images of {height}x{width} are smaller than the {size}-pixel crop")
    top, left = (height - size) // 2, (width - size) // 2
    return images[:, top : top + size, left : left + size]


def preprocess_images(images: torch.Tensor, size: int = CROP) -> torch.Tensor:
    """Flux cutouts (B, H, W, 3) -> network input (B, 3, W, H): RGB, centre crop, transposed."""
    return centre_crop(arcsinh_rgb(images), size).permute(0, 3, 2, 1).contiguous()
