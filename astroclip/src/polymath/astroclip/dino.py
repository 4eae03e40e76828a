"""DINOv2's self-distillation pieces in plain torch: the projection head, the centred
cross-entropy between teacher and student, the iBOT patch loss, KoLeo, and the schedules.

A student sees every view; an EMA teacher sees the two global views; the student learns to
predict the teacher's (centred, sharpened) distribution over prototypes. Centring (a running mean
of the teacher's logits) and sharpening (a low teacher temperature) together keep the teacher
from collapsing to one prototype or to a uniform output.
"""

from __future__ import annotations

import itertools
import math

import torch
from torch import nn
from torch.nn import functional as F


class DINOHead(nn.Module):
    """MLP (GELU) to a bottleneck, L2-normalised, then prototypes with unit-norm weights (the
    weight normalisation with its gain fixed at 1)."""

    def __init__(
        self,
        width: int,
        prototypes: int = 65536,
        hidden: int = 2048,
        bottleneck: int = 256,
        layers: int = 3,
    ) -> None:
        super().__init__()
        sizes = [width] + [hidden] * (layers - 1) + [bottleneck]
        modules: list[nn.Module] = []
        for i, (a, b) in enumerate(itertools.pairwise(sizes)):
            modules.append(nn.Linear(a, b))
            if i < layers - 1:
                modules.append(nn.GELU())
        self.mlp = nn.Sequential(*modules)
        for layer in self.mlp:
            if isinstance(layer, nn.Linear):
                nn.init.trunc_normal_(layer.weight, std=0.02)
                nn.init.zeros_(layer.bias)
        self.prototypes = nn.Parameter(torch.randn(prototypes, bottleneck) * 0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.normalize(self.mlp(x), dim=-1)
        return x @ F.normalize(self.prototypes, dim=-1).T


class Centering(nn.Module):
    """The teacher's centre: an EMA (``momentum``) of the batch mean of its logits."""

    def __init__(self, prototypes: int, momentum: float = 0.9) -> None:
        super().__init__()
        self.momentum = momentum
        self.register_buffer("centre", torch.zeros(1, prototypes))
        self.register_buffer("started", torch.tensor(False))

    def probabilities(self, teacher_logits: torch.Tensor, temperature: float) -> torch.Tensor:
        """Softmax of the centred, sharpened teacher logits. Before the first update the centre
        is the batch's own mean (a zero centre would hand the student one shared target)."""
        centre = self.centre if self.started else self.batch_mean(teacher_logits)
        return F.softmax((teacher_logits - centre) / temperature, dim=-1)

    @staticmethod
    @torch.no_grad()
    def batch_mean(teacher_logits: torch.Tensor) -> torch.Tensor:
        """The mean logits over the batch (over every process's batch when distributed)."""
        mean = teacher_logits.reshape(-1, teacher_logits.shape[-1]).mean(0, keepdim=True)
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.all_reduce(mean)
            mean /= torch.distributed.get_world_size()
        return mean

    @torch.no_grad()
    def update(self, teacher_logits: torch.Tensor) -> None:
        mean = self.batch_mean(teacher_logits)
        if not self.started:
            self.centre.copy_(mean)
            self.started.fill_(True)
        else:
            self.centre.mul_(self.momentum).add_(mean, alpha=1 - self.momentum)


def dino_loss(
    student_logits: list[torch.Tensor],
    teacher_probabilities: list[torch.Tensor],
    student_temperature: float = 0.1,
) -> torch.Tensor:
    """Mean cross-entropy over every (teacher global view, student view) pair of different views;
    the first ``len(teacher_probabilities)`` student views are the same global crops."""
    total, pairs = 0.0, 0
    for t, teacher in enumerate(teacher_probabilities):
        for s, student in enumerate(student_logits):
            if s == t:
                continue
            log_p = F.log_softmax(student / student_temperature, dim=-1)
            total = total - (teacher * log_p).sum(-1).mean()
            pairs += 1
    return total / pairs


def ibot_loss(
    student_patch_logits: torch.Tensor,
    teacher_patch_probabilities: torch.Tensor,
    masks: torch.Tensor,
    student_temperature: float = 0.1,
) -> torch.Tensor:
    """Cross-entropy on the masked patches only, averaged per image then over images that have
    any masked patch."""
    log_p = F.log_softmax(student_patch_logits / student_temperature, dim=-1)
    per_patch = -(teacher_patch_probabilities * log_p).sum(-1)
    counts = masks.sum(1)
    per_image = (per_patch * masks).sum(1) / counts.clamp(min=1)
    has_mask = counts > 0
    if not has_mask.any():
        return student_patch_logits.sum() * 0.0
    return per_image[has_mask].mean()


def koleo_loss(features: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Kozachenko-Leonenko entropy term: -mean log distance of each L2-normalised feature to its
    nearest neighbour in the batch; it spreads the features out."""
    x = F.normalize(features, dim=-1, eps=eps)
    distances = torch.cdist(x, x)
    distances = distances + torch.eye(len(x), dtype=x.dtype, device=x.device) * 1e9
    return -torch.log(distances.min(1).values + eps).mean()


def random_patch_masks(
    batch: int,
    patches: int,
    generator: torch.Generator,
    probability: float = 0.5,
    ratio: tuple[float, float] = (0.1, 0.5),
) -> torch.Tensor:
    """(batch, patches) booleans: with ``probability`` an image hides a uniform-random fraction
    in ``ratio`` of its patches, chosen at random (DINOv2 masks blocks; this masks patches)."""
    masks = torch.zeros(batch, patches, dtype=torch.bool)
    for i in range(batch):
        if torch.rand((), generator=generator) < probability:
            fraction = ratio[0] + (ratio[1] - ratio[0]) * torch.rand((), generator=generator)
            hidden = torch.randperm(patches, generator=generator)[: int(fraction * patches)]
            masks[i, hidden] = True
    return masks


@torch.no_grad()
def collapse_diagnostics(
    teacher_probabilities: torch.Tensor, student_logits: torch.Tensor, student_temperature: float
) -> dict[str, float]:
    """The DINO paper's collapse diagnostics (its section on avoiding collapse), in nats.

    ``teacher_entropy`` (per image, averaged) goes to ln K when the teacher is uniform (centring
    wins) and to 0 when it puts all mass on one prototype; ``kl_teacher_student`` goes to 0 in
    both collapses (the student matches a constant target). ``teacher_information``, the entropy
    of the batch-mean teacher distribution minus the mean per-image entropy, is the mutual
    information between an image and its teacher prototype: 0 in either collapse.
    """
    p = teacher_probabilities.reshape(-1, teacher_probabilities.shape[-1]).float()
    log_s = F.log_softmax(student_logits.reshape(len(p), -1).float() / student_temperature, -1)
    entropy = -(p * p.clamp(min=1e-12).log()).sum(-1).mean()
    marginal = p.mean(0)
    marginal_entropy = -(marginal * marginal.clamp(min=1e-12).log()).sum()
    kl = (p * (p.clamp(min=1e-12).log() - log_s)).sum(-1).mean()
    return {
        "teacher_entropy": float(entropy),
        "teacher_information": float(marginal_entropy - entropy),
        "kl_teacher_student": float(kl),
    }


@torch.no_grad()
def ema_update(teacher: nn.Module, student: nn.Module, momentum: float) -> None:
    """teacher <- momentum * teacher + (1 - momentum) * student, parameter by parameter."""
    for t, s in zip(teacher.parameters(), student.parameters()):
        t.mul_(momentum).add_(s.detach(), alpha=1 - momentum)


def teacher_momentum(step: int, total: int, start: float = 0.992, end: float = 1.0) -> float:
    """Cosine from ``start`` to ``end`` over ``total`` steps."""
    progress = min(1.0, step / max(1, total))
    return end - (end - start) * (math.cos(math.pi * progress) + 1) / 2


def teacher_temperature(step: int, warmup: int, start: float = 0.04, end: float = 0.07) -> float:
    """Linear from ``start`` to ``end`` over ``warmup`` steps, then ``end``."""
    if step >= warmup:
        return end
    return start + (end - start) * step / max(1, warmup)
