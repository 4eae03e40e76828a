"""Animated 3-D stick figures as GIFs: the 22 averaged-marker segments coloured with inferno, and
an optional blue "ghost" (the input behind its reconstruction), played at 30 fps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.animation import FuncAnimation, PillowWriter
from matplotlib.figure import Figure

from polymath.pirounet.data.segments import SEGMENTS, segment_ends

GIF_FPS = 30


def animate(
    poses: np.ndarray, path: str | Path, ghost: np.ndarray | None = None, title: str = "",
    fps: int = GIF_FPS,
) -> Path:  # fmt: skip
    """Writes (frames, 53, 3) or (frames, 159) ``poses`` (z up) as a GIF at ``path``; ``ghost``, of
    the same shape, is drawn in translucent blue behind them. Returns the path."""
    ends = segment_ends(poses)
    ghost_ends = None if ghost is None else segment_ends(ghost)
    every = ends if ghost_ends is None else np.concatenate([ends, ghost_ends])
    low, high = every.reshape(-1, 3).min(0), every.reshape(-1, 3).max(0)
    half, centre = float((high - low).max()) / 2 + 1e-6, (high + low) / 2
    figure = Figure(figsize=(4, 4), layout="constrained")
    axes = figure.add_subplot(projection="3d")
    axes.set(xlim=(centre[0] - half, centre[0] + half), ylim=(centre[1] - half, centre[1] + half),
             zlim=(centre[2] - half, centre[2] + half), title=title)  # fmt: skip
    axes.set_axis_off()
    colours = colormaps["inferno"](np.linspace(0.1, 0.8, len(SEGMENTS)))
    lines = [axes.plot([], [], [], color=c, lw=2.5)[0] for c in colours]
    ghosts = [] if ghost_ends is None else [axes.plot([], [], [], color="tab:blue", lw=2, alpha=0.35)[0]
                                             for _ in SEGMENTS]  # fmt: skip

    def draw(f: int):
        for line, (a, b) in zip(lines, ends[f]):
            line.set_data_3d(*np.stack([a, b]).T)
        for line, (a, b) in zip(ghosts, [] if ghost_ends is None else ghost_ends[f]):
            line.set_data_3d(*np.stack([a, b]).T)
        return [*lines, *ghosts]

    path = Path(path)
    FuncAnimation(figure, draw, frames=len(ends), blit=False).save(
        path, writer=PillowWriter(fps=fps)
    )
    return path


def comic_strip(poses: np.ndarray, panels: int = 8, title: str = "") -> Figure:
    """``panels`` evenly spaced poses side by side, seen from the front (x across, z up)."""
    ends = segment_ends(poses)
    picks = np.linspace(0, len(ends) - 1, panels).round().astype(int)
    figure = Figure(figsize=(1.4 * panels, 2.6), layout="constrained")
    colours = colormaps["inferno"](np.linspace(0.1, 0.8, len(SEGMENTS)))
    for axes, f in zip(figure.subplots(1, panels), picks):
        for colour, (a, b) in zip(colours, ends[f]):
            axes.plot([a[0], b[0]], [a[2], b[2]], color=colour, lw=2)
        axes.set(aspect="equal", title=f"frame {f}")
        axes.set_axis_off()
    figure.suptitle(title)
    return figure
