"""OmniFold Z+jets (Zenodo 3548091): Pythia vs Herwig jets, with normalizing flows as exact truth.

A flow is fitted to each generator's jets; new data sets are sampled from the flows, so the ratio
log p_Herwig - log p_Pythia is known exactly for every sampled point (clipped like the reference).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import zuko
from torch import nn

JET_COLUMNS = ("pt", "eta", "phi", "m")
DEFAULT_JET_KEY = "sim_jets"


def load_jets(
    path: str | Path, key: str = DEFAULT_JET_KEY, max_events: int | None = None
) -> np.ndarray:
    """Jets (N, 4) as (pT, eta, phi, m) from an OmniFold `.npz`; detector level is `sim_jets`.

    Rows with a non-finite entry are dropped. Raises ValueError naming the available keys when `key`
    is missing, and on arrays that are not (N, >=4).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no OmniFold file at {path}")
    with np.load(path, allow_pickle=False) as archive:
        if key not in archive.files:
            raise ValueError(
                f"{path.name} has no key {key!r}; available keys: {', '.join(sorted(archive.files))}"
                " (detector-level jets are 'sim_jets', particle level 'gen_jets')"
            )
        jets = np.asarray(archive[key], dtype=np.float64)
    if jets.ndim != 2 or jets.shape[1] < len(JET_COLUMNS):
        raise ValueError(
            f"{path.name}[{key!r}] has shape {jets.shape}; expected (N, 4) = pT, eta, phi, m"
        )
    jets = jets[:, : len(JET_COLUMNS)]
    jets = jets[np.isfinite(jets).all(axis=1)]
    return jets[:max_events] if max_events is not None else jets


class StandardizedFlow(nn.Module):
    """A zuko neural spline flow on standardized inputs; log_prob includes the scaling Jacobian."""

    def __init__(self, dim: int, transforms: int = 4, hidden: tuple[int, ...] = (64, 64)) -> None:
        super().__init__()
        self.flow = zuko.flows.NSF(dim, transforms=transforms, hidden_features=hidden)
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))
        self.config = {"dim": dim, "transforms": transforms, "hidden": tuple(hidden)}

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        return self.flow().log_prob((x - self.mean) / self.std) - torch.log(self.std).sum()

    @torch.no_grad()
    def sample(self, n: int) -> torch.Tensor:
        return self.flow().sample((n,)) * self.std + self.mean


def fit_flow(
    x: np.ndarray,
    *,
    transforms: int = 4,
    hidden: tuple[int, ...] = (64, 64),
    epochs: int = 20,
    batch_size: int = 1024,
    lr: float = 1e-3,
    seed: int = 0,
) -> StandardizedFlow:
    """Maximum-likelihood fit of a StandardizedFlow to samples x of shape (N, d)."""
    torch.manual_seed(seed)
    data = torch.as_tensor(x, dtype=torch.float32)
    flow = StandardizedFlow(data.shape[1], transforms, hidden)
    flow.mean.copy_(data.mean(0))
    flow.std.copy_(data.std(0).clamp_min(1e-6))
    optimizer = torch.optim.Adam(flow.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for idx in torch.randperm(len(data), generator=generator).split(batch_size):
            loss = -flow.log_prob(data[idx]).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return flow.eval()


@dataclass
class FlowRatioDataset:
    """Signal (Herwig, y = 1) and background (Pythia) flows; truth LR clipped at `clip`."""

    signal: StandardizedFlow
    background: StandardizedFlow
    clip: float = 1e7
    name: str = "zjets"
    signal_fraction: float = 0.5

    @property
    def dim(self) -> int:
        return int(self.signal.mean.numel())

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        y = (rng.random(n) < self.signal_fraction).astype(np.float32)
        n_signal = int(y.sum())
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            x_signal = self.signal.sample(n_signal)
            x_background = self.background.sample(n - n_signal)
        x = np.empty((n, self.dim), dtype=np.float32)
        x[y == 1] = x_signal.numpy()
        x[y == 0] = x_background.numpy()
        return x, y

    @torch.no_grad()
    def log_likelihood_ratio(self, x: np.ndarray) -> np.ndarray:
        t = torch.as_tensor(np.asarray(x, dtype=np.float32).reshape(-1, self.dim))
        log_lr = (self.signal.log_prob(t) - self.background.log_prob(t)).double().numpy()
        return np.clip(log_lr, -np.log(self.clip), np.log(self.clip))

    def likelihood_ratio(self, x: np.ndarray) -> np.ndarray:
        return np.exp(self.log_likelihood_ratio(x))

    def save(self, path: str | Path) -> None:
        """Both flows and their settings in one file, written atomically."""
        path = Path(path)
        tmp = path.with_suffix(path.suffix + ".tmp")
        torch.save(
            {
                "clip": self.clip,
                "signal": (self.signal.config, self.signal.state_dict()),
                "background": (self.background.config, self.background.state_dict()),
            },
            tmp,
        )
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path) -> FlowRatioDataset:
        blob = torch.load(path, weights_only=True)
        flows = {}
        for role in ("signal", "background"):
            config, state = blob[role]
            flow = StandardizedFlow(config["dim"], config["transforms"], tuple(config["hidden"]))
            flow.load_state_dict(state)
            flows[role] = flow.eval()
        return cls(flows["signal"], flows["background"], clip=blob["clip"])


def zjets(
    herwig_path: str,
    pythia_path: str,
    key: str = DEFAULT_JET_KEY,
    max_events: int | None = None,
    cache: str | None = None,
    epochs: int = 20,
    transforms: int = 4,
    seed: int = 0,
) -> FlowRatioDataset:
    """Herwig (signal) vs Pythia (background) via flows; reuses `cache` if it exists, else writes it."""
    if cache is not None and Path(cache).is_file():
        return FlowRatioDataset.load(cache)
    flows = [
        fit_flow(load_jets(p, key, max_events), epochs=epochs, transforms=transforms, seed=seed)
        for p in (herwig_path, pythia_path)
    ]
    dataset = FlowRatioDataset(*flows)
    if cache is not None:
        dataset.save(cache)
    return dataset
