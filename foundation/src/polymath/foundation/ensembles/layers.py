"""Batched ensembles in plain torch: K members in one module, weights shaped (K, in, out).

One batched matmul (``torch.baddbmm``) runs every member at once; ``benchmarks/ensembles.py``
measures it against ``torch.func`` (``stack_module_state`` + ``vmap``) and a loop of separate models.
Member k is initialised from its own generator, seeded by (seed, k) alone, so member k is the same
whether it is trained in an ensemble of 100, of 60, or alone (``first_member=k, members=1``).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Sequence
from typing import Literal

import torch
from torch import Tensor, nn

from polymath.foundation.models import SavableModel

Init = Literal["torch", "keras"]
Activation = Literal["relu", "tanh", "gelu", "silu"]

# ReLU works in place on the layer's output (which backward does not need): one activation-sized
# tensor fewer per layer, which matters on CPUs, where a fresh large tensor costs page faults.
ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": functools.partial(nn.ReLU, inplace=True),
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
}


class Dropout(nn.Module):
    """Inverted dropout whose mask comes from ``torch.rand``: the rule of ``nn.Dropout``, whose
    ``bernoulli_`` mask costs twice as much on a CPU. On the (members, batch, width) activations
    of a batched ensemble the masks were 40 % of a training step; this makes dropout 1.4-1.6x
    cheaper, forward and backward (``benchmarks/dropout.py``).
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = (torch.rand_like(x) >= self.p).to(x.dtype).mul_(1.0 / (1.0 - self.p))
        return x * keep

    def extra_repr(self) -> str:
        return f"p={self.p}"


def member_generator(seed: int, member: int) -> torch.Generator:
    """A CPU generator that depends only on (seed, member)."""
    return torch.Generator().manual_seed(seed * 1_000_003 + member)


class EnsembleLinear(nn.Module):
    """``members`` independent affine maps: (K, B, in) -> (K, B, out) in one ``baddbmm``."""

    def __init__(self, members: int, in_features: int, out_features: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(members, in_features, out_features))
        self.bias = nn.Parameter(torch.empty(members, 1, out_features))

    def forward(self, x: Tensor) -> Tensor:
        return torch.baddbmm(self.bias, x, self.weight)

    @torch.no_grad()
    def reset_member(self, k: int, init: Init, generator: torch.Generator) -> None:
        """Draws member k's weights, then its bias, from ``generator`` (on the CPU).

        ``torch``: ``nn.Linear``'s default, U(±1/sqrt(fan_in)) for weights and biases.
        ``keras``: Keras' default, Glorot-uniform U(±sqrt(6/(fan_in+fan_out))) weights, zero biases.
        """
        fan_in, fan_out = self.weight.shape[1:]
        if init == "keras":
            bound = math.sqrt(6.0 / (fan_in + fan_out))
            weight = torch.empty(fan_in, fan_out).uniform_(-bound, bound, generator=generator)
            bias = torch.zeros(fan_out)
        elif init == "torch":
            bound = 1.0 / math.sqrt(fan_in)
            weight = torch.empty(fan_in, fan_out).uniform_(-bound, bound, generator=generator)
            bias = torch.empty(fan_out).uniform_(-bound, bound, generator=generator)
        else:
            raise ValueError(f"unknown init {init!r}; known: torch, keras")
        self.weight[k] = weight
        self.bias[k, 0] = bias

    def extra_repr(self) -> str:
        members, fan_in, fan_out = self.weight.shape
        return f"members={members}, in_features={fan_in}, out_features={fan_out}"


class EnsembleMLP(SavableModel):
    """``members`` MLPs in -> hidden... -> out, each hidden layer followed by activation and dropout.

    ``forward`` takes inputs shared by every member, (B, in), or one batch per member, (K, B, in)
    (members trained on different folds), and returns (K, B, out). Dropout draws an independent mask
    per member. Member k is initialised from ``member_generator(seed, first_member + k)``, layer by
    layer, so ``first_member`` splits one ensemble over several jobs without changing any member.
    """

    def __init__(
        self,
        members: int,
        in_features: int,
        hidden: Sequence[int] = (64,),
        out_features: int = 1,
        activation: Activation = "relu",
        dropout: float = 0.0,
        init: Init = "torch",
        seed: int = 0,
        first_member: int = 0,
    ) -> None:
        super().__init__()
        if members < 1 or in_features < 1 or out_features < 1 or any(h < 1 for h in hidden):
            raise ValueError(
                f"members, in_features, out_features and hidden widths must be >= 1 "
                f"(got {members}, {in_features}, {out_features}, {list(hidden)})"
            )
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; known: {', '.join(ACTIVATIONS)}")
        if init not in ("torch", "keras"):
            raise ValueError(f"unknown init {init!r}; known: torch, keras")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.members = members
        self.activation = ACTIVATIONS[activation]()
        self.dropout = Dropout(dropout)
        widths = [in_features, *hidden, out_features]
        self.layers = nn.ModuleList(
            EnsembleLinear(members, a, b) for a, b in itertools.pairwise(widths)
        )
        for k in range(members):
            generator = member_generator(seed, first_member + k)
            for layer in self.layers:
                layer.reset_member(k, init, generator)

    def forward(self, x: Tensor) -> Tensor:
        h = self._per_member(x)
        for layer in self.layers[:-1]:
            h = self.dropout(self.activation(layer(h)))
        return self.layers[-1](h)

    def _per_member(self, x: Tensor) -> Tensor:
        in_features = self.layers[0].weight.shape[1]
        if x.ndim == 2 and x.shape[1] == in_features:
            return x.expand(self.members, *x.shape)
        if x.ndim == 3 and x.shape[0] == self.members and x.shape[2] == in_features:
            return x
        raise ValueError(
            f"EnsembleMLP expects inputs (batch, {in_features}) or ({self.members}, batch, "
            f"{in_features}), got {tuple(x.shape)}"
        )

    @torch.no_grad()
    def member(self, k: int) -> nn.Sequential:
        """Member k as a plain ``nn.Sequential`` of ``nn.Linear`` layers (a copy of its weights)."""
        if not 0 <= k < self.members:
            raise IndexError(f"member {k} out of range for an ensemble of {self.members}")
        modules: list[nn.Module] = []
        for i, layer in enumerate(self.layers):
            fan_in, fan_out = layer.weight.shape[1:]
            linear = nn.Linear(fan_in, fan_out, device=layer.weight.device)
            linear.weight.copy_(layer.weight[k].T)
            linear.bias.copy_(layer.bias[k, 0])
            modules.append(linear)
            if i < len(self.layers) - 1:
                modules += [type(self.activation)(), nn.Dropout(self.dropout.p)]
        return nn.Sequential(*modules)
