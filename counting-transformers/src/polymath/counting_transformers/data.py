"""The contextual counting task: a seeded generator, a training stream and fixed evaluation sets.

A sequence is ``BOS`` followed by distractor 0/1 tokens and non-overlapping regions ``[ ... ]``;
the target of region ``i`` is the number of 1s between its delimiters. Sequences are padded on the
right with ``PAD``; padded regions have count ``IGNORE`` and span ``(-1, -1)``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

VOCAB: dict[str, int] = {"PAD": 0, "BOS": 1, "0": 2, "1": 3, "[": 4, "]": 5}
IGNORE = -100

IntOrRange = int | Sequence[int]
FloatOrRange = float | Sequence[float]


@dataclass
class CountingSamples:
    """A batch of task instances, as tensors padded on the right."""

    tokens: torch.Tensor  # (n, max_length) long, PAD after each sequence's end
    lengths: torch.Tensor  # (n,) number of real tokens, BOS included
    counts: torch.Tensor  # (n, max_regions) number of 1s per region, IGNORE for absent regions
    spans: torch.Tensor  # (n, max_regions, 2) positions of "[" and "]", -1 for absent regions
    num_regions: torch.Tensor  # (n,)

    @property
    def queries(self) -> torch.Tensor:
        """Region indices given to the decoder, one query per region (padded ones are masked)."""
        n, r = self.counts.shape
        return torch.arange(r).expand(n, r)

    @property
    def query_mask(self) -> torch.Tensor:
        return self.counts != IGNORE

    def as_batch(self) -> dict[str, torch.Tensor]:
        return {
            "tokens": self.tokens,
            "queries": self.queries,
            "query_mask": self.query_mask,
            "counts": self.counts,
            "spans": self.spans,
        }


def _as_range(value: IntOrRange, name: str) -> tuple[int, int]:
    low, high = (value, value) if isinstance(value, int) else tuple(value)
    if low > high:
        raise ValueError(f"{name}={value!r}: the range's low end is above its high end")
    return int(low), int(high)


def largest_count(length: IntOrRange, regions: IntOrRange, region_length=None) -> int:
    """The largest count a region can hold for these parameters."""
    _, longest = _as_range(length, "length")
    fewest, _ = _as_range(regions, "regions")
    if region_length is not None:
        return _as_range(region_length, "region_length")[1]
    return longest - 1 - 2 * fewest


def check_parameters(
    length: IntOrRange,
    regions: IntOrRange,
    region_length: IntOrRange | None = None,
    max_count: int | None = None,
    density: FloatOrRange = (0.0, 1.0),
) -> None:
    """Raise ValueError with a one-line reason when the parameters cannot produce data."""
    shortest, _ = _as_range(length, "length")
    fewest, most = _as_range(regions, "regions")
    if fewest < 1:
        raise ValueError(f"regions={regions!r}: every sequence needs at least one region")
    if 2 * most > shortest - 1:
        raise ValueError(
            f"regions={regions!r} cannot fit in length={length!r}: {most} regions need "
            f"{2 * most + 1} tokens (BOS and two delimiters each)"
        )
    if region_length is not None:
        low, high = _as_range(region_length, "region_length")
        if low < 0:
            raise ValueError(f"region_length={region_length!r} must not be negative")
        if most * (high + 2) > shortest - 1:
            raise ValueError(
                f"region_length={region_length!r} with regions={regions!r} cannot fit in "
                f"length={length!r}"
            )
    low_density, high_density = (density, density) if np.isscalar(density) else tuple(density)
    if not 0.0 <= low_density <= high_density <= 1.0:
        raise ValueError(f"density={density!r} must be a probability or a range within [0, 1]")
    if max_count is not None:
        needed = largest_count(length, regions, region_length)
        if max_count < needed:
            raise ValueError(
                f"max_count={max_count} is below the largest count the data can produce ({needed})"
            )


def _random_compositions(rng: np.random.Generator, total: np.ndarray, parts: int) -> np.ndarray:
    """Uniform random splits of ``total[i]`` into ``parts`` integers >= 0 (stars and bars)."""
    n = len(total)
    slots = int(total.max()) + parts - 1
    keys = rng.random((n, slots))
    keys[np.arange(slots)[None, :] >= (total + parts - 1)[:, None]] = np.inf
    bars = np.sort(np.argsort(keys, axis=1)[:, : parts - 1], axis=1)
    edges = np.concatenate([np.full((n, 1), -1), bars, (total + parts - 1)[:, None]], axis=1)
    return np.diff(edges, axis=1) - 1


def _generate_group(
    rng: np.random.Generator,
    n: int,
    length: int,
    regions: int,
    density: tuple[float, float],
    region_length: tuple[int, int] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n sequences of one length and one number of regions: tokens, counts, spans."""
    budget = length - 1 - 2 * regions
    if region_length is None:
        segments = _random_compositions(rng, np.full(n, budget), 2 * regions + 1)
        gaps, inner = segments[:, 0::2], segments[:, 1::2]
    else:
        inner = rng.integers(region_length[0], region_length[1] + 1, size=(n, regions))
        gaps = _random_compositions(rng, budget - inner.sum(axis=1), regions + 1)
    opens = 1 + np.cumsum(gaps[:, :-1], axis=1) + np.cumsum(inner + 2, axis=1) - (inner + 2)
    closes = opens + inner + 1

    p = rng.uniform(density[0], density[1], size=(n, 1))
    ones = rng.random((n, length)) < p
    tokens = np.where(ones, VOCAB["1"], VOCAB["0"])
    rows = np.arange(n)[:, None]
    tokens[:, 0] = VOCAB["BOS"]
    tokens[rows, opens] = VOCAB["["]
    tokens[rows, closes] = VOCAB["]"]

    cumulative = np.cumsum(tokens == VOCAB["1"], axis=1)
    counts = cumulative[rows, closes] - cumulative[rows, opens]
    spans = np.stack([opens, closes], axis=-1)
    return tokens, counts, spans


def generate(
    n: int,
    *,
    length: IntOrRange,
    regions: IntOrRange,
    seed: int | np.random.Generator,
    density: FloatOrRange = (0.0, 1.0),
    region_length: IntOrRange | None = None,
    max_count: int | None = None,
    pad_to: int | None = None,
) -> CountingSamples:
    """Draw ``n`` task instances.

    Args:
        length: tokens per sequence, BOS included; an int or an inclusive (low, high) range.
        regions: regions per sequence; an int or an inclusive range.
        seed: an int or a numpy Generator; the same seed gives the same samples.
        density: probability of a 1 (inside and outside regions), drawn once per sequence
            uniformly from the range.
        region_length: None splits the free tokens uniformly at random among the regions and the
            gaps between them (empty regions are common); an inclusive range draws each region's
            length uniformly from it and spreads the remaining tokens over the gaps.
        max_count: the largest count the consumer can represent; raises if the data can exceed it.
        pad_to: pad every sequence to this many tokens (default: the longest in the batch).
    """
    check_parameters(length, regions, region_length, max_count, density)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    length_range = _as_range(length, "length")
    region_range = _as_range(regions, "regions")
    density_range = (density, density) if np.isscalar(density) else tuple(density)
    inner_range = None if region_length is None else _as_range(region_length, "region_length")

    lengths = rng.integers(length_range[0], length_range[1] + 1, size=n)
    num_regions = rng.integers(region_range[0], region_range[1] + 1, size=n)
    width = max(pad_to or 0, length_range[1] if n == 0 else int(lengths.max()))
    if pad_to is not None and pad_to < length_range[1]:
        raise ValueError(f"pad_to={pad_to} is shorter than the longest length {length_range[1]}")
    tokens = np.full((n, width), VOCAB["PAD"], dtype=np.int64)
    counts = np.full((n, region_range[1]), IGNORE, dtype=np.int64)
    spans = np.full((n, region_range[1], 2), -1, dtype=np.int64)
    for size in np.unique(lengths):
        for r in np.unique(num_regions):
            rows = np.flatnonzero((lengths == size) & (num_regions == r))
            if len(rows) == 0:
                continue
            t, c, s = _generate_group(rng, len(rows), int(size), int(r), density_range, inner_range)
            tokens[rows, :size] = t
            counts[rows, :r] = c
            spans[rows, :r] = s
    return CountingSamples(
        tokens=torch.from_numpy(tokens),
        lengths=torch.from_numpy(lengths.astype(np.int64)),
        counts=torch.from_numpy(counts),
        spans=torch.from_numpy(spans),
        num_regions=torch.from_numpy(num_regions.astype(np.int64)),
    )


def sample_dicts(samples: CountingSamples) -> Iterator[dict[str, Any]]:
    """One dict per sequence, unpadded, in the form written to webdataset shards."""
    for i in range(len(samples.tokens)):
        length, regions = int(samples.lengths[i]), int(samples.num_regions[i])
        yield {
            "__key__": f"{i:09d}",
            "tokens": samples.tokens[i, :length].numpy(),
            "counts": samples.counts[i, :regions].numpy(),
            "spans": samples.spans[i, :regions].numpy(),
        }


def collate(samples: Sequence[dict[str, Any]], name: str | None = None) -> dict[str, Any]:
    """Pad variable-length decoded samples on the right into one batch (``name``: the set's)."""
    tokens = [torch.as_tensor(s["tokens"]) for s in samples]
    counts = [torch.as_tensor(s["counts"]) for s in samples]
    spans = [torch.as_tensor(s["spans"]).reshape(-1, 2) for s in samples]
    pad = torch.nn.utils.rnn.pad_sequence
    batch = CountingSamples(
        tokens=pad(tokens, batch_first=True, padding_value=VOCAB["PAD"]),
        lengths=torch.tensor([len(t) for t in tokens]),
        counts=pad(counts, batch_first=True, padding_value=IGNORE),
        spans=pad(spans, batch_first=True, padding_value=-1),
        num_regions=torch.tensor([len(c) for c in counts]),
    )
    return batch.as_batch() if name is None else {**batch.as_batch(), "name": name}
