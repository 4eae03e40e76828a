"""SpecFormer's self-supervised pretraining: reconstruct masked chunks of spectrum tokens."""

from __future__ import annotations

from typing import Literal

import lightning as L
import torch

from polymath.astroclip.model import SPECFORMER_PRESETS, SpecFormer, tokenize_spectra
from polymath.foundation import load_model
from polymath.foundation.schedules import warmup_cosine


def mask_chunks(
    tokens: torch.Tensor,
    chunks: int = 6,
    length: int = 50,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Zeroes ``chunks`` contiguous runs of ``length`` tokens per sample, one at a random place in
    each equal part of the sequence. Returns the masked tokens and the (B, T) boolean mask."""
    batch, count = tokens.shape[:2]
    part = count // chunks
    if part < length:
        raise ValueError(f"{chunks} chunks of {length} do not fit in {count} tokens")
    starts = torch.randint(0, part - length + 1, (batch, chunks), generator=generator)
    starts = starts + torch.arange(chunks) * part
    positions = torch.arange(count)
    mask = ((positions >= starts[..., None]) & (positions < starts[..., None] + length)).any(1)
    return tokens.masked_fill(mask[..., None], 0.0), mask


def masked_mse(predicted: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """MSE over the masked tokens only: the mean over all tokens divided by the masked fraction,
    as the reference computes it."""
    squared = ((predicted - target) ** 2 * mask[..., None]).mean()
    return squared / mask.float().mean()


class SpecFormerModule(L.LightningModule):
    """Masked modelling of spectra; the trained ``self.model`` seeds the alignment stage."""

    def __init__(
        self,
        preset: Literal["cpu", "paper"] = "cpu",
        width: int | None = None,
        depth: int | None = None,
        chunks: int = 6,
        chunk_length: int = 50,
        lr: float = 1.0e-4,
        weight_decay: float = 0.1,
        warmup_steps: int = 0,
        init_from: str | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        size = {
            **SPECFORMER_PRESETS[preset],
            **{k: v for k, v in (("width", width), ("depth", depth)) if v},
        }
        self.model = load_model(init_from) if init_from else SpecFormer(**size)

    def step(self, batch: dict[str, torch.Tensor], stage: str) -> torch.Tensor:
        tokens = tokenize_spectra(batch["spectra"])
        masked, mask = mask_chunks(tokens, self.hparams.chunks, self.hparams.chunk_length)
        loss = masked_mse(self.model(masked), tokens, mask)
        self.log(f"{stage}/loss", loss, prog_bar=True, batch_size=len(tokens))
        return loss

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self.step(batch, "train")

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self.step(batch, "val")

    def test_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self.step(batch, "test")

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(
            self.parameters(),
            lr=self.hparams.lr,
            betas=(0.9, 0.95),
            weight_decay=self.hparams.weight_decay,
        )
        total = self.trainer.estimated_stepping_batches if self.trainer else 1
        scheduler = warmup_cosine(optimizer, self.hparams.warmup_steps, int(total))
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }
