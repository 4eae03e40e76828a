"""Training logic: contrastive alignment of the image and spectrum encoders."""

from __future__ import annotations

from typing import Literal

import lightning as L
import torch

from polymath.astroclip.checkpoints import load_astroclip, load_state_strictly
from polymath.astroclip.losses import clip_loss
from polymath.astroclip.model import AstroCLIP
from polymath.foundation import load_model
from polymath.foundation.schedules import warmup_cosine


class AstroCLIPModule(L.LightningModule):
    """Aligns the two encoders with the CLIP loss. ``freeze_backbones`` trains the heads only,
    as the paper does after pretraining; from scratch (no pretrained backbones) leave it off.
    ``image_from`` and ``spectrum_from`` name a pretrained ViT (``pretrain-image``) and SpecFormer
    (``pretrain-spectrum``): a run, URI or file, any of ``load_model``'s sources, of the sizes
    this module builds, whose weights replace the encoders'. ``reference_checkpoint`` loads the
    released AstroCLIP weights (a file in the reference's layout) instead."""

    def __init__(
        self,
        image_preset: Literal["cpu", "paper"] = "cpu",
        spectrum_preset: Literal["cpu", "paper"] = "cpu",
        image_width: int | None = None,
        image_depth: int | None = None,
        spectrum_width: int | None = None,
        spectrum_depth: int | None = None,
        embed_dim: int = 64,
        dropout: float = 0.1,
        image_layer_scale: float = 1.0e-5,
        logit_scale: float = 15.5,
        learnable_logit_scale: bool = False,
        freeze_backbones: bool = False,
        lr: float = 1.0e-4,
        weight_decay: float = 0.05,
        warmup_steps: int = 0,
        init_from: str | None = None,
        image_from: str | None = None,
        spectrum_from: str | None = None,
        reference_checkpoint: str | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        if logit_scale <= 0:
            raise ValueError(f"logit_scale must be positive, got {logit_scale}")
        self.model = (
            load_model(init_from)
            if init_from
            else AstroCLIP(
                image_preset,
                spectrum_preset,
                image_width,
                image_depth,
                spectrum_width,
                spectrum_depth,
                embed_dim,
                dropout=dropout,
                image_layer_scale=image_layer_scale,
                logit_scale=logit_scale,
                learnable_logit_scale=learnable_logit_scale,
            )
        )
        for source, encoder in (
            (image_from, self.model.image_encoder),
            (spectrum_from, self.model.spectrum_encoder),
        ):
            if source:
                load_state_strictly(encoder, load_model(source).state_dict(), source)
        if reference_checkpoint:
            load_astroclip(reference_checkpoint, self.model)
        if freeze_backbones:
            for encoder in (self.model.image_encoder, self.model.spectrum_encoder):
                encoder.requires_grad_(False)

    def step(self, batch: dict[str, torch.Tensor], stage: str) -> torch.Tensor:
        image, spectrum = self.model(batch["images"], batch["spectra"])
        loss = clip_loss(image, spectrum, self.model.logit_scale)
        size = len(image)
        self.log(f"{stage}/loss", loss, prog_bar=True, batch_size=size)
        if stage != "train":
            self.log(f"{stage}/loss_nologit", clip_loss(image, spectrum, 1.0), batch_size=size)
        else:
            self.log("train/logit_scale", self.model.logit_scale, batch_size=size)
        return loss

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        if self.hparams.freeze_backbones:  # frozen encoders also keep dropout and drop-path off
            self.model.image_encoder.eval()
            self.model.spectrum_encoder.eval()
        return self.step(batch, "train")

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self.step(batch, "val")

    def test_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self.step(batch, "test")

    def configure_optimizers(self):
        trainable = [p for p in self.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(
            trainable, lr=self.hparams.lr, weight_decay=self.hparams.weight_decay
        )
        total = self.trainer.estimated_stepping_batches if self.trainer else 1
        scheduler = warmup_cosine(optimizer, self.hparams.warmup_steps, int(total))
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }
