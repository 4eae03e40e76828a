import torch
from torch import nn

from polymath.foundation import SavableModel


class Linear(SavableModel):
    """y = w·x + b, in plain torch."""

    def __init__(self, features: int = 4) -> None:
        super().__init__()
        if features < 1:
            raise ValueError(f"features must be >= 1, got {features}")
        self.layer = nn.Linear(features, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer(x).squeeze(-1)
