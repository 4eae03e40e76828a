"""After a default fit (Beyond Imitation's recipes): generation metrics, figures and GIFs."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure

from polymath.foundation import RunContext
from polymath.pirounet.animation import animate, comic_strip
from polymath.pirounet.beyond_module import MDNModule, PoseAEModule, SeqVAEModule
from polymath.pirounet.data.formats import beyond_imitation_to_z_up
from polymath.pirounet.data.motion import MotionDataModule
from polymath.pirounet.losses import average_joint_distance
from polymath.pirounet.sequence_vae import continuize


def report(ctx: RunContext, module, datamodule: MotionDataModule) -> None:
    """Dispatches on the model; PirouNet's own experiment reports for itself."""
    module.eval()
    with torch.no_grad():
        if isinstance(module, MDNModule):
            found, gifs = _mdn(module, datamodule)
        elif isinstance(module, PoseAEModule):
            found, gifs = _pose_autoencoder(ctx, module, datamodule)
        elif isinstance(module, SeqVAEModule):
            found, gifs = _sequence_vae(module, datamodule)
        else:
            return
    if found:
        ctx.log_metrics(found)
        print("pirounet: " + ", ".join(f"{k} {v:.4g}" for k, v in found.items()), flush=True)
    if ctx.logger is not None:
        with tempfile.TemporaryDirectory() as folder:
            for name, (poses, ghost) in gifs.items():
                path = animate(poses, Path(folder) / f"{name}.gif", ghost=ghost, title=name)
                ctx.logger.experiment.log_artifact(ctx.logger.run_id, str(path), "animations")
            ctx.log_figure(
                comic_strip(next(iter(gifs.values()))[0], title=next(iter(gifs))), "comic_strip.png"
            )


def _speed(frames: torch.Tensor) -> float:
    """Mean marker speed (normalised units per frame) of (batch, frames, 3 x markers)."""
    return float(frames.diff(dim=1).unflatten(-1, (-1, 3)).norm(dim=-1).mean())


def _mdn(module: MDNModule, data: MotionDataModule, prompts: int = 8, steps: int = 35):
    """Continuations of test look-backs under both readings; their speed against the data's (the
    reference's argmax-mean generation is expected to freeze: a ratio far below 1)."""
    starts = data.splits["test"][:: max(1, len(data.splits["test"]) // prompts)][:prompts]
    look_back = data.hparams.seq_len
    prompt = data.poses[torch.as_tensor(starts)[:, None] + torch.arange(look_back)]
    real = data.poses[torch.as_tensor(data.splits["test"])[:, None] + torch.arange(look_back + 1)]
    generator = torch.Generator().manual_seed(0)
    found, gifs = {}, {}
    for reading in ("joint", "per_dimension"):
        frames = module.model.generate(prompt, steps, reading, generator)
        found[f"generation/speed_ratio_{reading}"] = _speed(frames) / _speed(real)
        gifs[f"mdn_{reading}"] = (beyond_imitation_to_z_up(frames[0].numpy()), None)
    return found, gifs


def _pose_autoencoder(ctx: RunContext, module: PoseAEModule, data: MotionDataModule):
    """The test poses' codes (coloured by time) and a circle drawn in the latent plane, decoded."""
    poses = data.poses[torch.as_tensor(data.splits["test"])]
    codes = module.model.encode(poses).numpy()
    if codes.shape[1] == 2:
        figure = Figure(figsize=(4, 4), layout="constrained")
        axes = figure.add_subplot()
        points = axes.scatter(
            codes[:, 0], codes[:, 1], c=np.arange(len(codes)), s=3, cmap="viridis"
        )
        figure.colorbar(points, label="test frame")
        axes.set(xlabel="latent 1", ylabel="latent 2", title="pose autoencoder: test poses")
        ctx.log_figure(figure, "latent_plane.png")
    centre = torch.as_tensor(codes.mean(0), dtype=torch.float32)
    radius = torch.as_tensor(codes.std(0), dtype=torch.float32)
    angle = torch.linspace(0, 2 * np.pi, 35)
    circle = torch.zeros(
        35, codes.shape[1]
    )  # in the first two latent axes, the others at the centre
    circle[:, 0], circle[:, 1] = angle.cos(), angle.sin()
    path = centre + radius * circle
    drawn = module.model.along_path(path).numpy()
    return {}, {"pose_ae_latent_circle": (beyond_imitation_to_z_up(drawn), None)}


def _sequence_vae(module: SeqVAEModule, data: MotionDataModule, chained: int = 3):
    """Variations of a test phrase at several sigmas, the continuizer's seams, and GIFs."""
    model = module.model
    phrase = data.poses[int(data.splits["test"][0]) :][: model.seq_len]
    reconstruction = model(phrase[None])[0][0]
    found = {}
    for sigma in (0.5, 1.0, 2.0):
        variations = model.variations(phrase, 8, sigma, torch.Generator().manual_seed(0))
        found[f"variations/ajd_sigma_{sigma}"] = float(
            average_joint_distance(variations, reconstruction.expand_as(variations))
        )
    with torch.enable_grad():
        z = 2.0 * torch.randn(chained, model.latent, generator=torch.Generator().manual_seed(0))
        chain, before, after = continuize(model, z)
    found |= {"continuizer/seam_mse_before": before, "continuizer/seam_mse_after": after}
    return found, {"seq_vae_reconstruction": (reconstruction.numpy(), phrase.numpy()),
                   "seq_vae_continuized": (chain.numpy(), None)}  # fmt: skip
