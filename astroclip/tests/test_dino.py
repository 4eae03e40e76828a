import math

import torch
from torch import nn

from polymath.astroclip.dino import (
    Centering,
    DINOHead,
    dino_loss,
    ema_update,
    ibot_loss,
    koleo_loss,
    random_patch_masks,
    teacher_momentum,
    teacher_temperature,
)
from polymath.astroclip.pretrain_image import AstroDINOModule


def test_centring_is_an_ema_of_the_batch_mean_and_is_subtracted():
    centring = Centering(3, momentum=0.9)
    logits = torch.tensor([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    centring.update(logits)
    assert torch.allclose(centring.centre, torch.tensor([[0.2, 0.2, 0.2]]))
    centring.update(logits)
    assert torch.allclose(centring.centre, torch.tensor([[0.38, 0.38, 0.38]]))
    centring.centre.copy_(torch.tensor([[5.0, 0.0, 0.0]]))
    probabilities = centring.probabilities(torch.tensor([[5.0, 0.0, 0.0]]), temperature=1.0)
    assert torch.allclose(probabilities, torch.full((1, 3), 1 / 3))  # centred away


def test_the_ema_update_moves_the_teacher_towards_the_student():
    teacher, student = nn.Linear(2, 2), nn.Linear(2, 2)
    with torch.no_grad():
        teacher.weight.fill_(1.0)
        student.weight.fill_(3.0)
    ema_update(teacher, student, momentum=0.75)
    assert torch.allclose(teacher.weight, torch.full((2, 2), 1.5))
    assert torch.allclose(student.weight, torch.full((2, 2), 3.0))


def test_the_schedules():
    assert teacher_momentum(0, 100) == 0.992 and teacher_momentum(100, 100) == 1.0
    assert math.isclose(teacher_momentum(50, 100), 0.996)
    assert teacher_temperature(0, 30) == 0.04 and teacher_temperature(30, 30) == 0.07
    assert math.isclose(teacher_temperature(15, 30), 0.055)


def test_dino_loss_skips_same_view_pairs_and_matches_a_direct_cross_entropy():
    torch.manual_seed(0)
    student = [torch.randn(4, 5) for _ in range(3)]
    teacher = [torch.softmax(torch.randn(4, 5), -1) for _ in range(2)]
    direct = 0.0
    for t, s in ((0, 1), (0, 2), (1, 0), (1, 2)):
        direct += -(teacher[t] * torch.log_softmax(student[s] / 0.1, -1)).sum(-1).mean() / 4
    assert torch.isclose(dino_loss(student, teacher, 0.1), direct)


def test_ibot_counts_masked_patches_only():
    logits = torch.zeros(2, 4, 3)
    target = torch.softmax(torch.randn(2, 4, 3), -1)
    masks = torch.tensor([[True, False, False, False], [False, False, False, False]])
    expected = math.log(3)  # uniform student: cross-entropy log(3) whatever the target
    assert math.isclose(ibot_loss(logits, target, masks).item(), expected, rel_tol=1e-6)


def test_koleo_prefers_spread_features():
    spread = torch.eye(4)
    bunched = torch.eye(4) * 0.01 + 1.0
    assert koleo_loss(spread) < koleo_loss(bunched)


def test_masks_and_head_shapes():
    masks = random_patch_masks(64, 144, torch.Generator().manual_seed(0))
    per_image = masks.sum(1).float()
    assert (per_image == 0).any() and (per_image > 0).any()
    assert per_image.max() <= 0.5 * 144
    assert DINOHead(16, prototypes=32, hidden=8, bottleneck=4)(torch.randn(3, 16)).shape == (3, 32)


def test_a_dino_step_trains_the_student_and_the_ema_moves_the_teacher():
    module = AstroDINOModule(
        width=16, depth=1, prototypes=32, head_hidden=16, head_bottleneck=8, local_crops=2
    )

    class Trainer:
        estimated_stepping_batches = 10
        global_step = 0

    module._trainer = Trainer()  # what the step reads from a trainer
    module.log = lambda *a, **k: None
    before = module.model.patch_embed.weight.clone()
    images = torch.rand(3, 152, 152, 3) * 0.1
    loss = module.training_step({"images": images}, 0)
    loss.backward()
    assert module.student.patch_embed.weight.grad.abs().sum() > 0
    assert module.model.patch_embed.weight.grad is None  # the teacher is not trained
    with torch.no_grad():
        module.student.patch_embed.weight.add_(1.0)
    module.on_train_batch_end(None, None, 0)
    moved = module.model.patch_embed.weight - before
    assert torch.allclose(moved, torch.full_like(moved, 1 - 0.992), atol=1e-6)


def test_the_prototypes_are_frozen_for_the_first_steps():
    module = AstroDINOModule(width=16, depth=1, prototypes=8, head_hidden=8, head_bottleneck=4)

    class Trainer:
        global_step = 0

    module._trainer = Trainer()
    module.hparams.freeze_prototypes_steps = 1
    module.head.prototypes.grad = torch.ones_like(module.head.prototypes)
    module.on_before_optimizer_step(None)
    assert module.head.prototypes.grad is None
    Trainer.global_step = 1
    module.head.prototypes.grad = torch.ones_like(module.head.prototypes)
    module.on_before_optimizer_step(None)
    assert module.head.prototypes.grad is not None
