"""AstroDINO: the image ViT pretrained by DINOv2-style self-distillation on flux cutouts.

The student (a ViT and its head) sees two global and N local augmented crops; the teacher, an
EMA of the student, sees the global crops. The teacher is the model kept (``self.model``, what
``align`` starts from through ``model.image_from``), as in DINOv2.
Losses: DINO on the CLS token, iBOT on masked patch tokens (shared head, as AstroDINO), KoLeo on
the student's global CLS features. The datamodule must hand over raw fluxes
(``data.raw_images=true``); the augmentations run here, seeded, on the batch.
"""

from __future__ import annotations

import copy
from typing import Literal

import lightning as L
import torch

from polymath.astroclip.data.augment import multi_crop
from polymath.astroclip.data.preprocess import preprocess_images
from polymath.astroclip.dino import (
    Centering,
    DINOHead,
    collapse_diagnostics,
    dino_loss,
    ema_update,
    ibot_loss,
    koleo_loss,
    random_patch_masks,
    teacher_momentum,
    teacher_temperature,
)
from polymath.astroclip.model import VIT_PRESETS, VisionTransformer
from polymath.foundation import load_model
from polymath.foundation.schedules import warmup_cosine


class AstroDINOModule(L.LightningModule):
    def __init__(
        self,
        preset: Literal["cpu", "paper"] = "cpu",
        width: int | None = None,
        depth: int | None = None,
        layer_scale: float = 1.0e-5,
        drop_path: float = 0.0,
        prototypes: int = 65536,
        head_hidden: int = 2048,
        head_bottleneck: int = 256,
        local_crops: int = 8,
        global_crop_size: int = 144,
        local_crop_size: int = 60,
        blur_probability: float = 0.5,
        noise_probability: float = 0.5,
        ibot_weight: float = 1.0,
        koleo_weight: float = 0.1,
        student_temperature: float = 0.1,
        teacher_temperature_start: float = 0.04,
        teacher_temperature_end: float = 0.04,
        teacher_temperature_warmup: int = 30,
        momentum_start: float = 0.992,
        freeze_prototypes_steps: int = 0,
        lr: float = 2.0e-4,
        weight_decay: float = 0.04,
        warmup_steps: int = 0,
        seed: int = 0,
        init_from: str | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        size = {
            **VIT_PRESETS[preset],
            **{k: v for k, v in (("width", width), ("depth", depth)) if v},
        }
        self.student = (
            load_model(init_from)
            if init_from
            else VisionTransformer(**size, drop_path=drop_path, layer_scale=layer_scale)
        )
        self.head = DINOHead(self.student.width, prototypes, head_hidden, head_bottleneck)
        self.model = copy.deepcopy(self.student).requires_grad_(False)  # the EMA teacher
        self.teacher_head = copy.deepcopy(self.head).requires_grad_(False)
        self.centre = Centering(prototypes)
        self.patch_centre = Centering(prototypes)
        self.generator = torch.Generator().manual_seed(seed)

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        h = self.hparams
        if batch["images"].ndim != 4 or batch["images"].shape[-1] != 3:
            raise ValueError("AstroDINO needs raw (B, H, W, 3) fluxes: set data.raw_images=true")
        globals_, locals_ = multi_crop(
            batch["images"].cpu(),
            self.generator,
            h.local_crops,
            global_size=h.global_crop_size,
            local_size=h.local_crop_size,
            blur_probability=h.blur_probability,
            noise_probability=h.noise_probability,
        )
        self.model.eval()  # the teacher: no drop-path
        globals_ = [v.to(self.device) for v in globals_]
        locals_ = [v.to(self.device) for v in locals_]
        step, total = self.global_step, self.trainer.estimated_stepping_batches
        temperature = teacher_temperature(
            step,
            h.teacher_temperature_warmup,
            h.teacher_temperature_start,
            h.teacher_temperature_end,
        )

        with torch.no_grad():
            teacher_tokens = [self.model(v) for v in globals_]
            teacher_cls = [self.teacher_head(t[:, 0]) for t in teacher_tokens]
            teacher_probabilities = [self.centre.probabilities(t, temperature) for t in teacher_cls]

        patches = globals_[0].shape[-1] // self.student.patch_size
        masks = [
            random_patch_masks(len(v), patches**2, self.generator).to(self.device) for v in globals_
        ]
        student_global = [
            self.student(v, m if h.ibot_weight > 0 else None) for v, m in zip(globals_, masks)
        ]
        student_cls = [self.head(t[:, 0]) for t in student_global]
        student_cls += [self.head(self.student(v)[:, 0]) for v in locals_]
        loss = dino_loss(student_cls, teacher_probabilities, h.student_temperature)
        self.log("train/dino", loss, batch_size=len(globals_[0]))
        diagnostics = collapse_diagnostics(
            torch.cat(teacher_probabilities),
            torch.cat(student_cls[1::-1]).detach(),  # each global view against the other's
            h.student_temperature,
        )
        for name, value in diagnostics.items():
            self.log(f"train/{name}", value, batch_size=len(globals_[0]))

        if h.ibot_weight > 0:
            with torch.no_grad():
                teacher_patches = [self.teacher_head(t[:, 1:]) for t in teacher_tokens]
                patch_probabilities = [
                    self.patch_centre.probabilities(t, temperature) for t in teacher_patches
                ]
            ibot = sum(
                ibot_loss(self.head(s[:, 1:]), p, m, h.student_temperature)
                for s, p, m in zip(student_global, patch_probabilities, masks)
            ) / len(globals_)
            self.log("train/ibot", ibot, batch_size=len(globals_[0]))
            loss = loss + h.ibot_weight * ibot
            self.patch_centre.update(torch.cat(teacher_patches))
        if h.koleo_weight > 0:
            koleo = sum(koleo_loss(t[:, 0]) for t in student_global) / len(student_global)
            self.log("train/koleo", koleo, batch_size=len(globals_[0]))
            loss = loss + h.koleo_weight * koleo
        self.centre.update(torch.cat(teacher_cls))
        self.log("train/loss", loss, prog_bar=True, batch_size=len(globals_[0]))
        self.log("train/teacher_temperature", temperature)
        self.log("train/teacher_momentum", teacher_momentum(step, total, h.momentum_start))
        return loss

    def on_before_optimizer_step(self, optimizer) -> None:
        """The prototypes stay fixed for the first steps (DINO's ``freeze_last_layer``), which
        keeps the early student from collapsing onto one prototype direction."""
        if self.global_step < self.hparams.freeze_prototypes_steps:
            self.head.prototypes.grad = None

    def on_train_batch_end(self, outputs, batch, batch_idx: int) -> None:
        momentum = teacher_momentum(
            self.global_step, self.trainer.estimated_stepping_batches, self.hparams.momentum_start
        )
        ema_update(self.model, self.student, momentum)
        ema_update(self.teacher_head, self.head, momentum)

    def held_out_loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Teacher-to-student cross-entropy on unaugmented centre crops (a quiet learning curve)."""
        images = preprocess_images(batch["images"])
        teacher = self.centre.probabilities(
            self.teacher_head(self.model(images)[:, 0]), self.hparams.teacher_temperature_end
        )
        student = self.head(self.student(images)[:, 0]) / self.hparams.student_temperature
        return -(teacher * student.log_softmax(-1)).sum(-1).mean()

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self.log("val/loss", self.held_out_loss(batch), batch_size=len(batch["images"]))

    def test_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self.log("test/loss", self.held_out_loss(batch), batch_size=len(batch["images"]))

    def configure_optimizers(self):
        trainable = [*self.student.parameters(), *self.head.parameters()]
        optimizer = torch.optim.AdamW(
            trainable, lr=self.hparams.lr, weight_decay=self.hparams.weight_decay
        )
        total = self.trainer.estimated_stepping_batches if self.trainer else 1
        scheduler = warmup_cosine(optimizer, self.hparams.warmup_steps, int(total))
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }
