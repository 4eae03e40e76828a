"""AstroCLIP's networks in plain torch: a DINOv2-style ViT, SpecFormer, and the alignment heads.

No timm, torchvision or dinov2: the ViT (patch 12 on 144 px, LayerScale, stochastic depth) and
SpecFormer (pre-LN transformer over overlapping spectrum windows) are written here, with the
paper's sizes as presets and small ones for CPUs.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from polymath.foundation import SavableModel

SPECTRUM_LENGTH = 7781
TOKEN_WINDOW, TOKEN_STRIDE, TOKEN_PAD = 20, 10, 2
SPECTRUM_TOKENS = (SPECTRUM_LENGTH - TOKEN_WINDOW) // TOKEN_STRIDE + 2  # 777 windows + statistics
TOKEN_FEATURES = TOKEN_WINDOW + TOKEN_PAD  # 22

VIT_PRESETS = {
    "paper": dict(width=1024, depth=24, heads=16),
    "cpu": dict(width=64, depth=2, heads=4),
}
SPECFORMER_PRESETS = {
    "paper": dict(width=768, depth=6, heads=6),
    "cpu": dict(width=32, depth=2, heads=1),  # attention over 778 tokens dominates on a CPU
}


class DropPath(nn.Module):
    """Stochastic depth: drops a residual branch per sample with probability ``p``."""

    def __init__(self, p: float = 0.0) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = x.new_empty(x.shape[0], *([1] * (x.ndim - 1))).bernoulli_(1 - self.p)
        return x * keep / (1 - self.p)


class Block(nn.Module):
    """Pre-LN transformer block; ``layer_scale`` > 0 adds DINOv2's per-channel LayerScale."""

    def __init__(
        self,
        width: int,
        heads: int,
        drop_path: float = 0.0,
        layer_scale: float = 0.0,
        dropout: float = 0.0,
        eps: float = 1.0e-5,
    ) -> None:
        super().__init__()
        if width % heads:
            raise ValueError(f"width {width} is not a multiple of heads {heads}")
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(width, eps=eps), nn.LayerNorm(width, eps=eps)
        self.qkv, self.proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.mlp = nn.Sequential(
            nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width)
        )
        self.dropout = nn.Dropout(dropout)
        self.drop_path = DropPath(drop_path)
        self.gamma1 = nn.Parameter(torch.full((width,), layer_scale)) if layer_scale > 0 else None
        self.gamma2 = nn.Parameter(torch.full((width,), layer_scale)) if layer_scale > 0 else None

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(b, n, d))

    @staticmethod
    def _scaled(x: torch.Tensor, gamma: nn.Parameter | None) -> torch.Tensor:
        return x if gamma is None else gamma * x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(
            self._scaled(self.dropout(self.attention(self.norm1(x))), self.gamma1)
        )
        return x + self.drop_path(self._scaled(self.dropout(self.mlp(self.norm2(x))), self.gamma2))


class VisionTransformer(SavableModel):
    """DINOv2-style ViT on (B, 3, H, W) RGB: 12x12 patches, CLS token, learned positions
    (interpolated bicubically for crops of another size, as DINOv2 does for its local crops), and
    a mask token that replaces masked patches for iBOT."""

    def __init__(
        self,
        width: int = 64,
        depth: int = 2,
        heads: int = 4,
        image_size: int = 144,
        patch_size: int = 12,
        drop_path: float = 0.0,
        layer_scale: float = 1.0e-5,
    ) -> None:
        super().__init__()
        if image_size % patch_size:
            raise ValueError(
                f"image_size {image_size} is not a multiple of patch_size {patch_size}"
            )
        self.width, self.patch_size, self.grid = width, patch_size, image_size // patch_size
        self.patch_embed = nn.Conv2d(3, width, patch_size, stride=patch_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, width))
        self.pos_embed = nn.Parameter(torch.randn(1, 1 + self.grid**2, width) * 0.02)
        self.mask_token = nn.Parameter(torch.zeros(1, width))
        self.blocks = nn.ModuleList(
            Block(width, heads, drop_path, layer_scale, eps=1.0e-6) for _ in range(depth)
        )
        self.norm = nn.LayerNorm(width, eps=1.0e-6)  # DINOv2's epsilon

    def patches(self, images: torch.Tensor) -> torch.Tensor:
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"images must be (batch, 3, H, W) RGB, got {tuple(images.shape)}")
        return self.patch_embed(images).flatten(2).transpose(1, 2)

    def positions(self, height: int, width: int) -> torch.Tensor:
        """Position embeddings (1, 1 + h*w, width) for a (height/patch, width/patch) grid."""
        h, w = height // self.patch_size, width // self.patch_size
        if (h, w) == (self.grid, self.grid):
            return self.pos_embed
        grid = self.pos_embed[:, 1:].reshape(1, self.grid, self.grid, -1).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(h, w), mode="bicubic", align_corners=False)
        return torch.cat([self.pos_embed[:, :1], grid.flatten(2).transpose(1, 2)], 1)

    def forward(self, images: torch.Tensor, masks: torch.Tensor | None = None) -> torch.Tensor:
        """All tokens (CLS first), normed: (B, 1 + patches, width). ``masks`` (B, patches), True
        where a patch is hidden, replaces those patches by the mask token (iBOT)."""
        x = self.patches(images)
        if masks is not None:
            x = torch.where(masks[..., None], self.mask_token.to(x.dtype), x)
        x = torch.cat([self.cls_token.expand(len(x), -1, -1), x], 1)
        x = x + self.positions(*images.shape[-2:])
        for block in self.blocks:
            x = block(x)
        return self.norm(x)

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """The downstream embedding: the normed CLS token."""
        return self(images)[:, 0]

    def alignment_tokens(self, images: torch.Tensor) -> torch.Tensor:
        """What AstroCLIP's image head reads: patch tokens through the blocks and final norm,
        with no CLS token and no position embedding (the reference's quirk, kept for its weights)."""
        x = self.patches(images)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)


def tokenize_spectra(spectra: torch.Tensor) -> torch.Tensor:
    """(B, 7781) or (B, 7781, 1) fluxes -> (B, 778, 22) SpecFormer tokens.

    Each spectrum is standardised by its own mean and std (std clipped at 0.2), cut into windows
    of 20 pixels with stride 10 (777, the last partial window dropped), each left-padded with two
    zeros; a first token holds (mean - 2) / 2 and (std - 2) / 8 so the scale is not lost.
    """
    if spectra.ndim == 3 and spectra.shape[-1] == 1:
        spectra = spectra[..., 0]
    if spectra.ndim != 2 or spectra.shape[1] != SPECTRUM_LENGTH:
        raise ValueError(
            f"spectra must be (batch, {SPECTRUM_LENGTH}) on the DESI grid, "
            f"got {tuple(spectra.shape)}"
        )
    mean = spectra.mean(1, keepdim=True)
    std = spectra.std(1, keepdim=True).clamp(min=0.2)
    windows = ((spectra - mean) / std).unfold(1, TOKEN_WINDOW, TOKEN_STRIDE)
    tokens = F.pad(windows, (TOKEN_PAD, 0, 1, 0))
    tokens[:, 0, 0] = (mean[:, 0] - 2) / 2
    tokens[:, 0, 1] = (std[:, 0] - 2) / 8
    return tokens


class SpecFormer(SavableModel):
    """Pre-LN transformer over spectrum tokens, with a linear head that reconstructs them."""

    def __init__(
        self,
        width: int = 64,
        depth: int = 2,
        heads: int = 4,
        max_len: int = 800,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.width = width
        self.embedding = nn.Linear(TOKEN_FEATURES, width)
        self.position = nn.Parameter(torch.empty(1, max_len, width))
        self.blocks = nn.ModuleList(Block(width, heads, dropout=dropout) for _ in range(depth))
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, TOKEN_FEATURES)
        for parameter in (self.embedding.weight, self.position):
            nn.init.trunc_normal_(parameter, std=1 / math.sqrt(width))

    def hidden(self, tokens: torch.Tensor) -> torch.Tensor:
        """Normed hidden states (B, tokens, width) of already tokenised spectra."""
        x = self.embedding(tokens) + self.position[:, : tokens.shape[1]]
        for block in self.blocks:
            x = block(x)
        return self.norm(x)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Reconstructed tokens (B, tokens, 22)."""
        return self.head(self.hidden(tokens))

    def embed(self, spectra: torch.Tensor) -> torch.Tensor:
        """The downstream embedding: the mean over tokens of the normed hidden states."""
        return self.hidden(tokenize_spectra(spectra)).mean(1)


class CrossAttentionHead(nn.Module):
    """One learned query attends over a backbone's tokens, then an MLP (residual optional)."""

    def __init__(
        self,
        embed_dim: int,
        backbone_dim: int,
        heads: int = 4,
        dropout: float = 0.1,
        residual: bool = False,
    ) -> None:
        super().__init__()
        self.query = nn.Parameter(torch.randn(1, 1, embed_dim))
        self.attention = nn.MultiheadAttention(
            embed_dim, heads, dropout=0.0, kdim=backbone_dim, vdim=backbone_dim, batch_first=True
        )
        self.dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(embed_dim)
        self.mlp = nn.Sequential(
            nn.Linear(embed_dim, 4 * embed_dim),
            nn.GELU(),
            nn.Linear(4 * embed_dim, embed_dim),
            nn.Dropout(dropout),
        )
        self.residual = residual

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        pooled, _ = self.attention(
            self.query.expand(len(tokens), -1, -1), tokens, tokens, need_weights=False
        )
        x = self.norm(self.dropout(pooled[:, 0]))
        return x + self.mlp(x) if self.residual else self.mlp(x)


class AstroCLIP(SavableModel):
    """Both encoders and their alignment heads; the two embeddings live in one space.

    ``image_layer_scale`` is DINOv2's LayerScale init (1e-5, for a ViT that DINO pretrains);
    0 turns LayerScale off, which a ViT trained from scratch by the alignment alone needs: with
    1e-5 its blocks start as near-identities, the patch tokens never mix, and the head pools
    mostly sky (the embeddings collapse, see the README)."""

    def __init__(
        self,
        image_preset: str = "cpu",
        spectrum_preset: str = "cpu",
        image_width: int | None = None,
        image_depth: int | None = None,
        spectrum_width: int | None = None,
        spectrum_depth: int | None = None,
        embed_dim: int = 64,
        head_heads: int = 4,
        dropout: float = 0.1,
        drop_path: float = 0.0,
        image_layer_scale: float = 1.0e-5,
        logit_scale: float = 15.5,
        learnable_logit_scale: bool = False,
    ) -> None:
        super().__init__()
        image = {**VIT_PRESETS[image_preset]}
        image.update({k: v for k, v in (("width", image_width), ("depth", image_depth)) if v})
        spectrum = {**SPECFORMER_PRESETS[spectrum_preset]}
        spectrum.update(
            {k: v for k, v in (("width", spectrum_width), ("depth", spectrum_depth)) if v}
        )
        self.image_encoder = VisionTransformer(
            **image, drop_path=drop_path, layer_scale=image_layer_scale
        )
        self.spectrum_encoder = SpecFormer(**spectrum)
        self.image_head = CrossAttentionHead(
            embed_dim, self.image_encoder.width, head_heads, dropout
        )
        self.spectrum_head = CrossAttentionHead(
            embed_dim, self.spectrum_encoder.width, head_heads, dropout, residual=True
        )
        self.log_logit_scale = nn.Parameter(
            torch.tensor(math.log(logit_scale)), requires_grad=learnable_logit_scale
        )

    @property
    def logit_scale(self) -> torch.Tensor:
        return self.log_logit_scale.exp()

    def embed_images(self, images: torch.Tensor) -> torch.Tensor:
        """Preprocessed images (B, 3, 144, 144) -> (B, embed_dim)."""
        return self.image_head(self.image_encoder.alignment_tokens(images))

    def embed_spectra(self, spectra: torch.Tensor) -> torch.Tensor:
        """Spectra (B, 7781[, 1]) -> (B, embed_dim)."""
        return self.spectrum_head(self.spectrum_encoder.hidden(tokenize_spectra(spectra)))

    def forward(
        self, images: torch.Tensor, spectra: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.embed_images(images), self.embed_spectra(spectra)
