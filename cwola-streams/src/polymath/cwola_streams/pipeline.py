"""From a trained patch ensemble to each star's out-of-fold score and top-N purity; what a window holds."""

from __future__ import annotations

import numpy as np

from polymath.cwola_streams.data.datamodule import PatchDataModule
from polymath.cwola_streams.data.formats import Patch
from polymath.cwola_streams.features import fiducial_cuts
from polymath.cwola_streams.module import CWoLaModule
from polymath.cwola_streams.selection import PatchScores, Tally, tally, top_n
from polymath.cwola_streams.windows import Window


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


def window_composition(patch: Patch, window: Window) -> dict[str, float]:
    """Stars and stream stars in the SR and the SB, and the stream's enrichment in the SR.

    The enrichment is the stream's share of the SR over its share of the SB: CWoLa has something
    to learn only where it is above 1 (the paper's GD-1 patch: 0.94 % / 0.36 % = 2.6).
    """
    index, labels = window.split(patch)
    stream = np.zeros(len(index), bool) if patch.is_stream is None else patch.is_stream[index]
    in_sr = labels == 1
    sr_share, sb_share = stream[in_sr].mean(), stream[~in_sr].mean()
    return {
        "window/stars": float(len(index)),
        "window/stream_stars": float(stream.sum()),
        "window/sr_stars": float(in_sr.sum()),
        "window/sr_stream_stars": float(stream[in_sr].sum()),
        "window/sb_stars": float((~in_sr).sum()),
        "window/sb_stream_stars": float(stream[~in_sr].sum()),
        "window/enrichment": float(sr_share / sb_share) if sb_share > 0 else float("nan"),
    }
