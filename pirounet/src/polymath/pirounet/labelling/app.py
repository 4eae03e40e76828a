"""The labelling app: play a window of dance, give it a Time and a Space effort, save it to the CSV.

Two sources: a timeline of recorded sessions (an item is a window's start frame, as in the training
labels CSV), or generated sequences labelled blind (shown in a seeded shuffled order; the CSV gets
the sequence's index in its file, never the label it was generated with).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from dash import Dash, Input, Output, State, dcc, html, no_update

from polymath.pirounet.labelling.figure import dance_figure
from polymath.pirounet.labelling.store import LabelStore


@dataclass(frozen=True)
class Timeline:
    """Windows of ``seq_len`` frames of (frames, 53, 3) poses; an item is a start frame."""

    poses: np.ndarray
    seq_len: int = 40

    @property
    def last(self) -> int:
        return len(self.poses) - self.seq_len

    def window(self, item: int) -> np.ndarray:
        return self.poses[item : item + self.seq_len]

    def key(self, item: int) -> int:
        return item

    def title(self, item: int) -> str:
        return f"frames {item}-{item + self.seq_len - 1}"

    @property
    def step(self) -> int:
        return self.seq_len


@dataclass(frozen=True)
class Blind:
    """Generated sequences (n, frames, 53, 3) in a shuffled order; an item is a position in it."""

    sequences: np.ndarray
    order: np.ndarray

    @classmethod
    def shuffled(cls, sequences: np.ndarray, seed: int = 0) -> Blind:
        return cls(sequences, np.random.default_rng(seed).permutation(len(sequences)))

    @property
    def last(self) -> int:
        return len(self.sequences) - 1

    def window(self, item: int) -> np.ndarray:
        return self.sequences[self.order[item]]

    def key(self, item: int) -> int:
        return int(self.order[item])

    def title(self, item: int) -> str:
        return f"sequence {item + 1} of {len(self.sequences)} (blind)"

    @property
    def step(self) -> int:
        return 1


def build_app(source: Timeline | Blind, labels: str | Path) -> Dash:
    """The Dash app over ``source``, saving to the CSV at ``labels``."""
    store = LabelStore(labels)
    app = Dash(__name__, title="PirouNet labelling")
    effort_help = "1 = low, 2 = medium, 3 = high, 4 = N/A"
    app.layout = html.Div(style={"fontFamily": "sans-serif", "maxWidth": "900px", "margin": "auto"}, children=[
        html.H2("Label the Laban effort of each window"),
        html.Div([
            html.Label("Item ", htmlFor="item"),
            dcc.Input(id="item", type="number", value=0, step=1),
            html.Button("Next", id="next", n_clicks=0),
            html.Span(id="view-status", style={"marginLeft": "1em", "color": "#b00020"}),
        ]),
        dcc.Graph(id="dance"),
        html.Div([
            html.Label("Time effort ", htmlFor="time"),
            dcc.Input(id="time", type="number", placeholder=effort_help, debounce=False),
            html.Label(" Space effort ", htmlFor="space"),
            dcc.Input(id="space", type="number", placeholder=effort_help, debounce=False),
            html.Button("Save label", id="save", n_clicks=0),
        ]),
        html.P(effort_help, style={"color": "#555"}),
        html.Div(id="save-status", role="status"),
        html.P(f"Labels are appended to {Path(labels).resolve()}", style={"color": "#555"}),
    ])  # fmt: skip

    @app.callback(Output("item", "value"), Input("next", "n_clicks"), State("item", "value"),
                  prevent_initial_call=True)  # fmt: skip
    def advance(_: int, item: int | None) -> int:
        return min((item or 0) + source.step, source.last)

    @app.callback(Output("dance", "figure"), Output("view-status", "children"),
                  Input("item", "value"))  # fmt: skip
    def show(item: int | float | None):
        if item is None or item != int(item) or not 0 <= item <= source.last:
            return no_update, f"item must be a whole number from 0 to {source.last}, got {item}"
        return dance_figure(source.window(int(item)), source.title(int(item))), ""

    @app.callback(Output("save-status", "children"), Input("save", "n_clicks"),
                  State("item", "value"), State("time", "value"), State("space", "value"),
                  prevent_initial_call=True)  # fmt: skip
    def save(_: int, item: int | float | None, time: object, space: object) -> str:
        if item is None or item != int(item) or not 0 <= item <= source.last:
            return f"Not saved: item must be a whole number from 0 to {source.last}, got {item}"
        try:
            row = store.append(source.key(int(item)), space, time)
        except (ValueError, OSError) as error:
            return f"Not saved: {error}"
        return f"Saved {row}"

    return app
