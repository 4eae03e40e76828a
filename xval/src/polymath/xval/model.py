"""The Numformer: a pre-LN transformer whose ``[NUM]`` embedding is scaled by the number's value.

Input embedding = token_embedding(id) × value + position_embedding, with the value multiplying
the token embedding *before* the position is added (the reference's April 2024 fix; value is 1
for every token but ``[NUM]``). Two heads read the last hidden state: a token head (logits) and a
number head (one scalar per position). The masked-LM variant (``causal=False``) is the
reference's; the causal variant predicts the next token and, where that is ``[NUM]``, its value.
Text encodings use the same network with ``number_head=False``.
"""

from __future__ import annotations

import torch
from torch import nn

from polymath.foundation.models import SavableModel


class ContextLengthError(ValueError):
    """A sequence longer than the model's learned positions."""


def _head(d_model: int, out: int, bias: bool) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_model, d_model), nn.GELU(), nn.Linear(d_model, out, bias=bias))


class Numformer(SavableModel):
    """Token + learned absolute positions, a pre-LN encoder stack, a token head and a number head.

    ``tokenizer`` (the tokenizer's JSON) and ``scaler`` (``KeyScaler.to_dict()``) travel with the
    model's saved arguments, so a saved model reads and writes numbers on its own.
    """

    def __init__(
        self,
        vocab_size: int,
        d_model: int = 768,
        n_heads: int = 6,
        n_layers: int = 6,
        d_ff: int | None = None,
        context: int = 1024,
        dropout: float = 0.1,
        causal: bool = False,
        number_head: bool = True,
        tokenizer: str | None = None,
        scaler: dict | None = None,
    ) -> None:
        super().__init__()
        self.causal = causal
        self.context = context
        self.token_embedding = nn.Embedding(vocab_size, d_model)
        self.position_embedding = nn.Embedding(context, d_model)
        self.dropout = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(
            d_model,
            n_heads,
            d_ff or 4 * d_model,
            dropout,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(
            layer, n_layers, norm=nn.LayerNorm(d_model), enable_nested_tensor=False
        )
        self.token_head = _head(d_model, vocab_size, bias=False)
        self.number_head = _head(d_model, 1, bias=True) if number_head else None

    def forward(
        self,
        ids: torch.Tensor,
        values: torch.Tensor | None = None,
        padding: torch.Tensor | None = None,
        at: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``ids`` and ``values`` (batch, length), ``padding`` True at pad positions ->
        (token logits (batch, length, vocab), numbers (batch, length) or None).

        ``at`` (bool, batch × length) applies the heads only at those positions and returns
        (logits (n, vocab), numbers (n,)) in row-major order: a loss or a reading needs a few
        positions, and FP15's 27,001-way token head at every position dominates the cost (as
        BERT gathers its masked positions before the output layer).
        """
        length = ids.shape[1]
        if length > self.context:
            raise ContextLengthError(
                f"a sequence of {length} tokens exceeds the model's context of {self.context}"
            )
        x = self.token_embedding(ids)
        if values is not None:
            x = x * values.unsqueeze(-1).to(x.dtype)
        x = self.dropout(x + self.position_embedding(torch.arange(length, device=ids.device)))
        mask = None
        if self.causal:
            mask = torch.ones(length, length, dtype=torch.bool, device=ids.device).triu(1)
        h = self.encoder(x, mask=mask, src_key_padding_mask=padding, is_causal=self.causal)
        if at is not None:
            h = h[at]
        numbers = self.number_head(h).squeeze(-1) if self.number_head is not None else None
        return self.token_head(h), numbers
