"""The synthetic dancer: a rigid skeleton, seeded sessions, and efforts a speed statistic separates."""

import numpy as np
import pytest

from polymath.pirounet.data.markers import MARKERS
from polymath.pirounet.data.simulate import simulate_dancer, window_efforts
from polymath.pirounet.data.windows import window_starts


@pytest.fixture(scope="module")
def dance():
    return simulate_dancer(sessions=2, seconds=40.0, seed=1)


def test_sessions_are_seeded_and_have_the_files_shape(dance):
    assert dance.poses.shape == (2 * 40 * 35, 53, 3) and dance.session_lengths == [1400, 1400]
    again = simulate_dancer(sessions=2, seconds=40.0, seed=1)
    np.testing.assert_array_equal(dance.poses, again.poses)
    assert set(np.unique(dance.effort)) == {0, 1, 2}


def test_markers_on_one_bone_stay_rigid_and_the_dancer_stands(dance):
    left, right = MARKERS.index("LFHD"), MARKERS.index("RFHD")
    width = np.linalg.norm(dance.poses[:, left] - dance.poses[:, right], axis=-1)
    np.testing.assert_allclose(width, 0.14, atol=0.015)  # 2 mm jitter on each marker
    height = -dance.poses[..., 2]  # z points down in the files
    assert height.min() > -0.5 and 1.5 < height.max() < 2.6


def test_a_peak_speed_statistic_separates_the_time_efforts(dance):
    starts = window_starts(dance.session_lengths, seq_len=40)
    labels = window_efforts(dance.effort, starts, 40)
    speed = np.linalg.norm(np.diff(dance.poses, axis=0), axis=-1).mean(axis=1) * dance.fps
    peak = np.log(speed[starts[:, None] + np.arange(39)].max(axis=1))
    medians = [np.median(peak[labels == k]) for k in range(3)]
    assert medians[0] < medians[1] < medians[2]
    cuts = [(medians[0] + medians[1]) / 2, (medians[1] + medians[2]) / 2]
    accuracy = np.mean(np.digitize(peak, cuts) == labels)
    assert accuracy > 0.75, accuracy  # chance is about 1/3


def test_window_labels_are_the_majority_effort():
    effort = np.array([0] * 30 + [2] * 50)
    assert window_efforts(effort, np.array([0, 10, 11, 40]), 40).tolist() == [0, 0, 2, 2]
