"""Where this process sits (global rank, dataloader worker) and seeds that differ per place."""

from __future__ import annotations

import numpy as np
import torch.utils.data
import webdataset as wds


def placement() -> tuple[int, int, int, int]:
    """(rank, world_size, worker, num_workers), read the way webdataset's split_by_node reads them:
    RANK/WORLD_SIZE from the environment, else torch.distributed when initialised; the worker from
    torch's DataLoader worker info."""
    return wds.utils.pytorch_worker_info()


def worker_seed(base_seed: int) -> int:
    """A 32-bit seed distinct per (global rank, DataLoader worker id), derived from `base_seed`.

    Use it to seed infinite generators inside an IterableDataset so that ranks and workers do not
    produce the same stream: `rng = np.random.default_rng(worker_seed(seed))` in `__iter__`.
    Call it inside the worker (in `__iter__`), not in `__init__`. The same (base_seed, rank, worker)
    gives the same seed every time, so fresh workers at each epoch restart the same stream: mix the
    epoch into `base_seed` or use `persistent_workers=True` if that matters.
    """
    if not isinstance(base_seed, int) or base_seed < 0:
        raise ValueError(f"base_seed must be a non-negative int, got {base_seed!r}")
    rank, _, worker, _ = placement()
    return int(np.random.SeedSequence([base_seed, rank, worker]).generate_state(1)[0])


def epoch_token(counter: int) -> str:
    """Differs per epoch: the DataLoader's worker seed (new for fresh workers each epoch) with
    `counter`, the number of iterations of this dataset copy (grows in persistent workers)."""
    info = torch.utils.data.get_worker_info()
    return f"{None if info is None else info.seed}/{counter}"
