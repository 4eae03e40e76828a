"""The synthetic dancer: procedural moves with a known Laban Time effort, in the files' format.

A move is a chain of keyframe poses (random joint angles). Its Time effort sets how the dancer
travels between keyframes, with the same distribution of poses for every effort:

- sustained (0, "low"): long, smooth transitions (1.5-2.5 s), never still;
- neutral (1, "medium"): transitions of 0.5-0.8 s with short pauses;
- sudden (2, "high"): fast transitions (0.10-0.18 s) between holds of 0.35-0.7 s.

So sudden and neutral moves have similar mean speeds but very different peak speeds and
accelerations: a classifier must look at the speed profile, not only its average.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from polymath.pirounet.data.skeleton import JOINT_INDEX, JOINTS, PELVIS_HEIGHT, forward_kinematics

FPS = 35
EFFORTS = ("sustained", "neutral", "sudden")  # Time effort 0, 1, 2 (the CSV's 1, 2, 3)
# (transition seconds, hold seconds) ranges per effort
PROFILES = {
    0: ((1.5, 2.5), (0.0, 0.0)),
    1: ((0.5, 0.8), (0.0, 0.15)),
    2: ((0.10, 0.18), (0.35, 0.7)),
}
MOVE_SECONDS = (2.5, 4.5)

# Ranges (radians) of the angles a keyframe draws; right-side y and z ranges mirror the left ones.
_RANGES = {
    "spine": ((-0.3, 0.3), (-0.3, 0.3), (-0.4, 0.4)), "chest": ((-0.2, 0.2), (-0.2, 0.2), (-0.3, 0.3)),
    "neck": ((-0.3, 0.3), (0.0, 0.0), (-0.5, 0.5)),
    "lshoulder": ((-0.6, 2.2), (-2.2, 0.2), (-0.5, 0.5)), "lelbow": ((0.0, 2.3), (0.0, 0.0), (0.0, 0.0)),
    "lhip": ((-0.4, 1.2), (-0.4, 0.1), (-0.3, 0.3)), "lknee": ((-2.0, 0.0), (0.0, 0.0), (0.0, 0.0)),
}  # fmt: skip


def _angle_ranges() -> tuple[np.ndarray, np.ndarray]:
    low, high = np.zeros((len(JOINTS), 3)), np.zeros((len(JOINTS), 3))
    for name, ranges in _RANGES.items():
        ranges = np.array(ranges)
        low[JOINT_INDEX[name]], high[JOINT_INDEX[name]] = ranges[:, 0], ranges[:, 1]
        if name.startswith("l"):
            mirrored = ranges.copy()
            mirrored[1:] = -ranges[1:, ::-1]  # y and z turn the other way on the right
            low[JOINT_INDEX["r" + name[1:]]], high[JOINT_INDEX["r" + name[1:]]] = mirrored.T
    return low, high


ANGLE_LOW, ANGLE_HIGH = _angle_ranges()


@dataclass(frozen=True)
class Dance:
    """Sessions concatenated: poses (frames, 53, 3) in the raw files' convention (metres, z
    pointing down, undone by the PirouNet preprocessing's flip), the Time effort of every frame,
    and the length of every session."""

    poses: np.ndarray
    effort: np.ndarray
    session_lengths: list[int]
    fps: int = FPS


def _ease(n: int) -> np.ndarray:
    t = np.arange(1, n + 1) / n
    return 0.5 - 0.5 * np.cos(np.pi * t)


def _frames(seconds: float, fps: int) -> int:
    return max(1, round(seconds * fps))


def simulate_session(
    seconds: float, rng: np.random.Generator, fps: int = FPS
) -> tuple[np.ndarray, np.ndarray]:
    """One session: poses (frames, 53, 3) and the Time effort (0-2) of every frame."""
    total = _frames(seconds, fps)
    pose = rng.uniform(ANGLE_LOW, ANGLE_HIGH)
    angles, efforts = [pose[None]], [np.array([rng.integers(3)])]
    while sum(len(a) for a in angles) < total:
        effort = int(rng.integers(3))
        (move_low, move_high), (trans, hold) = MOVE_SECONDS, PROFILES[effort]
        move_frames, done = _frames(rng.uniform(move_low, move_high), fps), 0
        while done < move_frames:
            target = rng.uniform(ANGLE_LOW, ANGLE_HIGH)
            n = _frames(rng.uniform(*trans), fps)
            segment = pose + (target - pose) * _ease(n)[:, None, None]
            pause = _frames(rng.uniform(*hold), fps) if hold[1] > 0 else 0
            segment = np.concatenate([segment, np.repeat(target[None], pause, axis=0)])
            angles.append(segment)
            efforts.append(np.full(len(segment), effort))
            pose, done = target, done + len(segment)
    angles_all, effort_all = np.concatenate(angles)[:total], np.concatenate(efforts)[:total]
    # The dancer turns and wanders slowly, the same way under every effort.
    t = np.arange(total) / fps
    yaw = np.cumsum(rng.normal(0, 0.02, total)) + rng.uniform(-np.pi, np.pi)
    angles_all[:, JOINT_INDEX["pelvis"], 2] += yaw
    phase = rng.uniform(0, 2 * np.pi, 2)
    root = np.stack(
        [1.5 * np.sin(0.11 * t + phase[0]), 1.5 * np.sin(0.07 * t + phase[1]),
         PELVIS_HEIGHT + 0.02 * np.sin(2 * np.pi * 0.5 * t)], axis=1,
    )  # fmt: skip
    poses = forward_kinematics(angles_all, root)
    poses += rng.normal(0, 0.002, poses.shape)  # marker jitter of 2 mm
    poses[..., 2] *= -1  # the raw files' z points down
    return poses.astype(np.float32), effort_all.astype(np.int64)


def simulate_dancer(
    sessions: int = 2, seconds: float = 60.0, seed: int | tuple[int, ...] = 0, fps: int = FPS
) -> Dance:
    """``sessions`` improvisations of ``seconds`` each at ``fps``, seeded (a tuple seed such as
    ``(seed, 1)`` gives a stream independent of ``seed``'s)."""
    if sessions < 1 or seconds <= 0:
        raise ValueError(
            f"need at least one session of positive length, found {sessions} x {seconds} s"
        )
    rng = np.random.default_rng(seed)
    parts = [simulate_session(seconds, rng, fps) for _ in range(sessions)]
    return Dance(
        np.concatenate([p for p, _ in parts]), np.concatenate([e for _, e in parts]),
        [len(p) for p, _ in parts], fps,
    )  # fmt: skip


def window_efforts(effort: np.ndarray, starts: np.ndarray, seq_len: int) -> np.ndarray:
    """The ground-truth label of each window: the effort of most of its frames."""
    counts = np.stack([np.concatenate([[0], np.cumsum(effort == k)]) for k in range(3)])
    per_window = counts[:, starts + seq_len] - counts[:, starts]
    return per_window.argmax(axis=0)
