"""From a trained patch ensemble to each star's out-of-fold score, and to top-N purity."""

from __future__ import annotations

import numpy as np

from polymath.cwola_streams.data.datamodule import PatchDataModule
from polymath.cwola_streams.features import fiducial_cuts
from polymath.cwola_streams.module import CWoLaModule
from polymath.cwola_streams.selection import PatchScores, Tally, tally, top_n


def member_scores(module: CWoLaModule, datamodule: PatchDataModule) -> np.ndarray:
    """Every member's SR probability for every SR ∪ SB star: (members, stars)."""
    model = module.model.cpu()
    return model.probabilities(datamodule.inputs).numpy()


def patch_scores(module: CWoLaModule, datamodule: PatchDataModule) -> PatchScores:
    """Out-of-fold scores for the whole patch (NaN outside SR ∪ SB), with truth and the fiducial cuts."""
    patch = datamodule.patch
    index, _ = datamodule.selection
    validation_loss = module.member_stopping.best.cpu().numpy()
    scores = np.full(len(patch), np.nan)
    scores[index] = datamodule.folds.out_of_fold(member_scores(module, datamodule), validation_loss)
    is_member = patch.is_stream if patch.is_stream is not None else np.zeros(len(patch), bool)
    return PatchScores(patch.stars, scores, is_member, fiducial_cuts(patch))


def top_n_purity(result: PatchScores, n: int, cuts: bool = True) -> Tally:
    """Purity of the n best-scored stars of one patch (within the cuts if ``cuts``)."""
    mask = np.isfinite(result.scores) & (result.passes_cuts if cuts else True)
    chosen = top_n(np.nan_to_num(result.scores, nan=-np.inf), n, mask)
    return tally(result.is_member[chosen], int((result.is_member & mask).sum()))
