"""The .npy loader, both preprocessing paths, and the labels CSV."""

import numpy as np
import pytest

from polymath.pirounet.data.formats import (
    read_labels,
    read_session,
    scale_beyond_imitation,
    scale_pirounet,
)


def hand_made(frames: int = 4) -> np.ndarray:
    """(frames, 53, 3): markers on a line along x, moving up in z, then shifted by frame."""
    poses = np.zeros((frames, 53, 3), dtype=np.float32)
    poses[..., 0] = np.linspace(0, 10, 53)
    poses[..., 1] = np.linspace(0, 5, 53)
    poses[..., 2] = -np.arange(frames)[:, None]  # z points down in the raw files
    poses[..., :2] += 3.0 * np.arange(frames)[:, None, None]
    return poses


def test_a_55_marker_file_drops_the_virtual_hips_transposes_and_trims(tmp_path):
    raw = np.arange(55 * 10 * 3, dtype=np.float64).reshape(55, 10, 3)
    np.save(tmp_path / "s.npy", raw)
    poses = read_session(tmp_path / "s.npy", trim=2)
    assert poses.shape == (6, 53, 3) and poses.dtype == np.float32
    kept = [m for m in range(55) if m not in (26, 53)]
    np.testing.assert_array_equal(poses, raw[kept].transpose(1, 0, 2)[2:8])


@pytest.mark.parametrize(
    "shape, message",
    [((54, 10, 3), "54 markers, expected 55 or 53"), ((53, 10), "expected \\(markers, frames, 3\\)"),
     ((53, 4, 3), "fewer than the 4 trimmed")],
)  # fmt: skip
def test_a_bad_file_is_named_in_one_line(tmp_path, shape, message):
    np.save(tmp_path / "bad.npy", np.zeros(shape))
    with pytest.raises(ValueError, match=message):
        read_session(tmp_path / "bad.npy", trim=2)


def test_pirounet_scaling_flips_z_scales_by_the_xy_range_and_centres_every_frame():
    poses = hand_made()
    scaled = scale_pirounet(poses)
    np.testing.assert_allclose(scaled[..., :2].mean(axis=1), 0, atol=1e-5)
    low, high = np.quantile(poses.reshape(-1, 3), [0.01, 0.99], axis=0)
    scale = 2 / (max(high[:2]) - min(low[:2]))
    np.testing.assert_allclose(scaled[..., 2], -poses[..., 2] * scale, rtol=1e-5)
    # The shape of a frame is kept up to the scale: x spans 10 units.
    np.testing.assert_allclose(np.ptp(scaled[0, :, 0]), 10 * scale, rtol=1e-5)


def test_beyond_imitation_scaling_rotates_about_x_and_fills_the_unit_cube():
    poses = hand_made()
    scaled = scale_beyond_imitation(poses)
    assert scaled.min() >= 0 and scaled.max() <= 1
    np.testing.assert_allclose(scaled.reshape(-1, 3).min(0), 0, atol=1e-6)
    np.testing.assert_allclose(scaled.reshape(-1, 3).max(0), 1, atol=1e-6)
    # new y is the old z (min-max scaled); new z is 1 - scaled(-old y), i.e. scaled old y
    z = poses[..., 2]
    np.testing.assert_allclose(scaled[..., 1], (z - z.min()) / np.ptp(z), atol=1e-6)
    y = poses[..., 1]
    np.testing.assert_allclose(scaled[..., 2], (y - y.min()) / np.ptp(y), atol=1e-6)


def test_labels_are_shifted_sorted_and_a_header_is_allowed(tmp_path):
    (tmp_path / "l.csv").write_text("start,space,time\n80,2,4\n0,1,3\n40,3,1\n")
    labels = read_labels(tmp_path / "l.csv")
    assert labels.starts.tolist() == [0, 40, 80]
    assert labels.space.tolist() == [0, 2, 1] and labels.time.tolist() == [2, 0, 3]


@pytest.mark.parametrize(
    "text, message",
    [("0,1,5\n", ":1: start must be >= 0 and efforts 1-4"), ("0,1,2\n40,x,2\n", ":2: not three"),
     ("0,1\n", ":1: expected start,space,time"), ("0,1,2\n0,2,2\n", "labelled twice"), ("", "no labels")],
)  # fmt: skip
def test_a_malformed_labels_file_names_the_line(tmp_path, text, message):
    (tmp_path / "l.csv").write_text(text)
    with pytest.raises(ValueError, match=message):
        read_labels(tmp_path / "l.csv")


def test_a_missing_labels_file_is_named(tmp_path):
    with pytest.raises(ValueError, match="labels file not found"):
        read_labels(tmp_path / "nothing.csv")


def _write_c3d(path, xyz, names, invalid=()):
    import c3d

    writer = c3d.Writer(point_rate=35.0)
    frames = []
    for f, pose in enumerate(xyz):
        points = np.zeros((len(names), 5), np.float32)
        points[:, :3] = pose
        for frame, marker in invalid:
            if frame == f:
                points[marker, 3] = -1
        frames.append((points, np.zeros((0, 0), np.float32)))
    writer.add_frames(frames)
    writer.set_point_labels(names)
    with open(path, "wb") as handle:
        writer.write(handle)


def test_c3d_files_read_like_the_npy_files(tmp_path):
    from polymath.pirounet.data.markers import MARKERS
    from polymath.pirounet.data.simulate import simulate_dancer

    poses = simulate_dancer(sessions=1, seconds=1.0, seed=0).poses * 1000  # millimetres
    z_up = poses * np.array([1, 1, -1])
    order = list(reversed(MARKERS))  # the file's own order: put back in ours by name
    _write_c3d(tmp_path / "take.c3d", z_up[:, ::-1], order, invalid=[(5, 0)])
    read = read_session(tmp_path / "take.c3d", trim=2)
    gap = MARKERS.index(order[0])  # invalid in frame 5, which is frame 3 after trimming
    np.testing.assert_allclose(read[3, gap], (poses[4, gap] + poses[6, gap]) / 2, atol=0.05)
    read[3, gap] = poses[5, gap]
    np.testing.assert_allclose(read, poses[2:-2], rtol=0, atol=0.05)
    _write_c3d(tmp_path / "short.c3d", z_up[:, :50], [f"M{i}" for i in range(50)])
    with pytest.raises(ValueError, match="50 markers"):
        read_session(tmp_path / "short.c3d", trim=0)
    (tmp_path / "junk.c3d").write_bytes(b"not a c3d file")
    with pytest.raises(ValueError, match="not a readable C3D"):
        read_session(tmp_path / "junk.c3d", trim=0)
