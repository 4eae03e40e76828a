import numpy as np
import pytest

from polymath.cwola_streams.folds import FoldError, nested_folds


def test_every_star_gets_one_out_of_fold_score_from_four_unseen_models():
    labels = np.r_[np.ones(70, int), np.zeros(130, int)]
    folds = nested_folds(labels, n_folds=5, seed=15, repeats=3)
    members = folds.members
    assert len(members) == 60
    train, validation, test = folds.masks()
    # No model scores a star it trained or validated on; each star is a test star of 12 models
    # (4 validation folds × 3 repeats), of which the best repeat per pair is kept: 4 models.
    assert not (test & (train | validation)).any()
    assert (test.sum(0) == 12).all()
    assert ((train | validation | test).all(0)).all()
    # Encode (member index) in the scores, then read back which models made each star's score.
    member_scores = np.repeat(np.arange(60.0)[:, None], len(labels), axis=1)
    validation_loss = np.array([m.repeat for m in members], float)  # repeat 0 always best
    scores = folds.out_of_fold(member_scores, validation_loss)
    for star in range(len(labels)):
        used = [i for i, m in enumerate(members) if m.test == folds.fold[star] and m.repeat == 0]
        assert len(used) == 4
        assert scores[star] == pytest.approx(np.mean(used))
        assert not (train[used, star] | validation[used, star]).any()


def test_best_repeat_is_picked_by_validation_loss():
    labels = np.r_[np.ones(10, int), np.zeros(10, int)]
    folds = nested_folds(labels, n_folds=3, repeats=2)
    members = folds.members
    member_scores = np.array([[float(m.repeat)] * 20 for m in members])
    loss = np.array([1.0 if m.repeat == 0 else 0.5 for m in members])
    np.testing.assert_allclose(folds.out_of_fold(member_scores, loss), 1.0)


def test_folds_are_stratified_and_seeded():
    labels = np.r_[np.ones(100, int), np.zeros(400, int)]
    folds = nested_folds(labels, n_folds=5, seed=15)
    for t in range(5):
        assert (labels[folds.fold == t] == 1).sum() == 20
    np.testing.assert_array_equal(folds.fold, nested_folds(labels, 5, 15).fold)
    assert not np.array_equal(folds.fold, nested_folds(labels, 5, 16).fold)


def test_more_folds_than_stars_is_refused():
    with pytest.raises(FoldError, match="5 folds need at least 5 stars of each label"):
        nested_folds(np.array([1, 1, 0, 0, 0, 0, 0]), n_folds=5)
    with pytest.raises(FoldError, match="at least 3 folds"):
        nested_folds(np.array([1, 0] * 10), n_folds=2)
