"""Silence known library noise at its source, so a run prints its progress and results only.

- Lightning's "💡 Tip" lines advertising litlogger and litmodels, printed at every fit;
- Lightning's "Seed set to N", printed at every ``seed_everything``, and its hardware census
  ("GPU available: False, used: False", "TPU available: ...") at every Trainer;
- Lightning's "Received SIGTERM" (the runner says what became of the run in one line);
- the deprecation warning Lightning's ``_pytree`` helper triggers in recent torch releases.
"""

from __future__ import annotations

import logging
import warnings

NOISY_LOGGERS = tuple(
    f"{root}.{name}"
    for root in ("lightning", "pytorch_lightning", "lightning_fabric")
    for name in ("fabric.utilities.rank_zero", "pytorch.utilities.rank_zero", "utilities.rank_zero",
                 "fabric.utilities.seed", "utilities.seed", "pytorch.trainer.connectors.signal_connector",
                 "trainer.connectors.signal_connector")
)  # fmt: skip
"""Both distributions of Lightning (``lightning`` and ``pytorch_lightning``) name their loggers."""
NOISE_PREFIXES = (
    "💡 Tip:", "Seed set to ", "GPU available:", "TPU available:", "HPU available:",
    "Received SIGTERM:",
)  # fmt: skip
PYTREE_WARNING = r".*isinstance\(treespec, LeafSpec\)` is deprecated"


class _DropNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        # rank-prefixed messages look like "[rank: 1] Seed set to 0"
        message = message.split("] ", 1)[1] if message.startswith("[rank: ") else message
        return not message.startswith(NOISE_PREFIXES)


_FILTER = _DropNoise()


def install() -> None:
    """Adds the filters (idempotent)."""
    for name in NOISY_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    warnings.filterwarnings("ignore", message=PYTREE_WARNING)
