"""The animated 3-D stick figure of one window, as a Plotly figure that plays in the browser."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from polymath.pirounet.data.segments import segment_ends

FRAME_MS = 1000 / 35  # real time at the recordings' 35 fps


def _lines(ends: np.ndarray) -> dict[str, list[float | None]]:
    """One frame's segments as a single line trace: x, y, z with a gap (None) between segments."""
    coords: dict[str, list[float | None]] = {"x": [], "y": [], "z": []}
    for a, b in ends:
        for axis, key in enumerate("xyz"):
            coords[key] += [float(a[axis]), float(b[axis]), None]
    return coords


def dance_figure(poses: np.ndarray, title: str = "") -> go.Figure:
    """A window (frames, 53, 3) or (frames, 159) as an animation with Play/Pause and a slider."""
    ends = segment_ends(poses)
    markers = np.asarray(poses).reshape(len(ends), -1, 3)

    def traces(f: int) -> list[go.Scatter3d]:
        x, y, z = markers[f].T
        return [
            go.Scatter3d(
                **_lines(ends[f]),
                mode="lines",
                line={"width": 6, "color": "#5b2a86"},
                name="skeleton",
            ),
            go.Scatter3d(
                x=x,
                y=y,
                z=z,
                mode="markers",
                marker={"size": 2, "color": "#f48c06"},
                name="markers",
            ),
        ]

    frames = [go.Frame(data=traces(f), name=str(f)) for f in range(len(ends))]
    low, high = markers.reshape(-1, 3).min(0), markers.reshape(-1, 3).max(0)
    half = float((high - low).max()) / 2 + 1e-6
    centre = (high + low) / 2
    axes = {k: {"range": [float(c - half), float(c + half)], "title": k}
            for k, c in zip(("xaxis", "yaxis", "zaxis"), centre)}  # fmt: skip
    play = {"frame": {"duration": FRAME_MS, "redraw": True}, "fromcurrent": True,
            "transition": {"duration": 0}}  # fmt: skip
    figure = go.Figure(data=traces(0), frames=frames)
    figure.update_layout(
        title=title, showlegend=False, height=520, margin={"l": 0, "r": 0, "t": 40, "b": 0},
        scene={**axes, "aspectmode": "cube"},
        updatemenus=[{"type": "buttons", "x": 0.05, "y": 0.05, "buttons": [
            {"label": "Play", "method": "animate", "args": [None, play]},
            {"label": "Pause", "method": "animate",
             "args": [[None], {"mode": "immediate", "frame": {"duration": 0, "redraw": False}}]},
        ]}],
        sliders=[{"x": 0.2, "len": 0.75, "currentvalue": {"prefix": "frame "}, "steps": [
            {"label": str(f), "method": "animate",
             "args": [[str(f)], {"mode": "immediate", "frame": {"duration": 0, "redraw": True}}]}
            for f in range(len(ends))
        ]}],
    )  # fmt: skip
    return figure
