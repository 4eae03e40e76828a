"""The sample shuffle buffer, written so that its state (items, rng, pull count) can be replayed."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from typing import Any

INITIAL = 100


class ShuffleBuffer:
    """Draws each output at random from a buffer of up to `size` samples.

    Output starts once `initial` samples are in (as webdataset's `initial`); the buffer then grows
    by one sample per two pulled until it holds `size`. From there each new sample costs one
    rng.random() and a swap. `size` 0 passes samples through. The rng is only drawn from in
    ways that depend on counts, never on the samples, so the same calls over sample positions
    instead of samples reproduce the state exactly (see resume.py).
    """

    def __init__(self, size: int, rng: random.Random, initial: int = INITIAL):
        self.size, self.rng = size, rng
        self.initial = max(1, min(size, initial))
        self.items: list[Any] = []
        self.pulled = 0

    def _pick(self) -> Any:
        items = self.items
        index = int(self.rng.random() * len(items))
        item = items[index]
        items[index] = items[-1]
        items.pop()
        return item

    def __call__(self, source: Iterable[Any]) -> Iterator[Any]:
        items, rng, size = self.items, self.rng, self.size
        source = iter(source)
        if size <= 0:
            for item in source:
                self.pulled += 1
                yield item
            return
        if len(items) < size:  # growing: the only phase whose draws depend on `pulled`
            for item in source:
                self.pulled += 1
                items.append(item)
                if len(items) == size:
                    break
                if len(items) < self.initial or self.pulled % 2:
                    continue
                yield self._pick()
        for item in source:  # full: one draw and a swap per sample
            index = int(rng.random() * size)
            items[index], item = item, items[index]
            yield item
        while items:
            yield self._pick()
