"""The nested k-fold of the paper: every star gets an out-of-fold score from k − 1 models.

With k folds, each fold t is the test fold once; each of the other k − 1 folds is the validation
fold once while the remaining k − 2 train. Each (test, validation) pair is trained ``repeats``
times with different initialisations and the repeat with the lowest validation loss is kept. A
star's score is the mean of the k − 1 kept models whose test fold holds it; none of them saw the
star in training or validation. With k = 5 and 3 repeats that is 60 models per patch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import StratifiedKFold


class FoldError(ValueError):
    """Too few stars (of either label) for the requested folds."""


@dataclass(frozen=True)
class Member:
    """One model of the nested k-fold: its test fold, validation fold and repeat."""

    test: int
    validation: int
    repeat: int


@dataclass(frozen=True)
class NestedFolds:
    """``fold[i]``: the outer fold of star i; ``members``: every (test, validation, repeat)."""

    fold: np.ndarray
    n_folds: int
    repeats: int

    @property
    def members(self) -> list[Member]:
        return [
            Member(t, v, r)
            for t in range(self.n_folds)
            for v in range(self.n_folds)
            if v != t
            for r in range(self.repeats)
        ]

    def masks(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Boolean (members, stars) masks: training, validation and test (scored) stars."""
        members = self.members
        test = np.array([m.test for m in members])[:, None] == self.fold[None, :]
        validation = np.array([m.validation for m in members])[:, None] == self.fold[None, :]
        return ~(test | validation), validation, test

    def out_of_fold(self, member_scores: np.ndarray, validation_loss: np.ndarray) -> np.ndarray:
        """Each star's score: the mean over its test fold's k − 1 best-of-``repeats`` models.

        ``member_scores`` (members, stars) may hold scores for every star; only a member's test
        stars are read. ``validation_loss`` (members,) picks the best repeat of each pair.
        """
        members = self.members
        if member_scores.shape != (len(members), len(self.fold)):
            raise ValueError(
                f"expected scores of shape ({len(members)}, {len(self.fold)}), got {member_scores.shape}"
            )
        losses = np.asarray(validation_loss, dtype=float).reshape(
            self.n_folds, self.n_folds - 1, self.repeats
        )
        best = np.nanargmin(np.where(np.isfinite(losses), losses, np.nan), axis=-1)
        scores = member_scores.reshape(self.n_folds, self.n_folds - 1, self.repeats, -1)
        out = np.empty(len(self.fold))
        for t in range(self.n_folds):
            stars = self.fold == t
            kept = scores[t, np.arange(self.n_folds - 1), best[t]]  # (k - 1, stars)
            out[stars] = kept[:, stars].mean(0)
        return out


def nested_folds(
    labels: np.ndarray, n_folds: int = 5, seed: int = 15, repeats: int = 3
) -> NestedFolds:
    """Outer folds from ``StratifiedKFold(n_folds, shuffle=True, random_state=seed)`` on the labels."""
    labels = np.asarray(labels)
    if n_folds < 3:
        raise FoldError(
            f"the nested k-fold needs at least 3 folds (test, validation, training); got {n_folds}"
        )
    if repeats < 1:
        raise FoldError(f"repeats must be >= 1, got {repeats}")
    smallest = int(np.bincount(labels, minlength=2).min()) if len(labels) else 0
    if smallest < n_folds:
        raise FoldError(
            f"{n_folds} folds need at least {n_folds} stars of each label; the smaller region "
            f"holds {smallest} of {len(labels)} stars"
        )
    fold = np.empty(len(labels), dtype=np.int64)
    splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    for index, (_, test) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
        fold[test] = index
    return NestedFolds(fold, n_folds, repeats)
