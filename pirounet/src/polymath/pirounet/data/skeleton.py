"""A 17-joint skeleton carrying the 53 markers, posed by forward kinematics.

Joint frames: z up, the dancer faces +y, left is +x. Every joint has three Euler angles (x, y, z,
applied in that order) relative to its parent; markers sit at fixed offsets in their joint's frame.
"""

from __future__ import annotations

import numpy as np

from polymath.pirounet.data.markers import MARKERS

# (name, parent index, offset from the parent in the parent's frame, metres)
JOINTS: tuple[tuple[str, int, tuple[float, float, float]], ...] = (
    ("pelvis", -1, (0.0, 0.0, 0.0)),
    ("spine", 0, (0.0, 0.0, 0.15)), ("chest", 1, (0.0, 0.0, 0.25)),
    ("neck", 2, (0.0, 0.0, 0.20)), ("head", 3, (0.0, 0.0, 0.12)),
    ("lshoulder", 2, (0.18, 0.0, 0.15)), ("lelbow", 5, (0.0, 0.0, -0.28)),
    ("lwrist", 6, (0.0, 0.0, -0.25)),
    ("rshoulder", 2, (-0.18, 0.0, 0.15)), ("relbow", 8, (0.0, 0.0, -0.28)),
    ("rwrist", 9, (0.0, 0.0, -0.25)),
    ("lhip", 0, (0.10, 0.0, -0.05)), ("lknee", 11, (0.0, 0.0, -0.42)),
    ("lankle", 12, (0.0, 0.0, -0.42)),
    ("rhip", 0, (-0.10, 0.0, -0.05)), ("rknee", 14, (0.0, 0.0, -0.42)),
    ("rankle", 15, (0.0, 0.0, -0.42)),
)  # fmt: skip
JOINT_INDEX = {name: i for i, (name, _, _) in enumerate(JOINTS)}
PELVIS_HEIGHT = 0.95

# Left-side and middle markers; right-side ones mirror the left ones in x ("L..." -> "R...").
_LEFT_AND_MIDDLE = {
    "LFHD": ("head", (0.07, 0.08, 0.08)), "LBHD": ("head", (0.07, -0.08, 0.08)),
    "ARIEL": ("head", (0.0, 0.0, 0.16)), "C7": ("neck", (0.0, -0.05, 0.0)),
    "T10": ("spine", (0.0, -0.10, 0.10)), "CLAV": ("neck", (0.0, 0.06, -0.05)),
    "STRN": ("chest", (0.0, 0.10, 0.05)), "STRN2": ("chest", (0.0, 0.10, -0.05)),
    "RBAK": ("chest", (-0.08, -0.10, 0.08)),
    "LSHO": ("lshoulder", (0.0, 0.0, 0.03)), "LUPA": ("lshoulder", (0.04, 0.0, -0.14)),
    "LELB": ("lelbow", (0.03, -0.02, 0.0)), "LELBIN": ("lelbow", (-0.03, 0.02, 0.0)),
    "LFRM": ("lelbow", (0.03, 0.0, -0.12)), "LWRA": ("lwrist", (0.02, 0.02, 0.0)),
    "LWRB": ("lwrist", (0.02, -0.02, 0.0)), "LIWR": ("lwrist", (-0.02, 0.0, 0.0)),
    "LFIN": ("lwrist", (0.0, 0.0, -0.08)),
    "LASI": ("pelvis", (0.12, 0.08, 0.0)), "LPSI": ("pelvis", (0.05, -0.10, 0.02)),
    "LFWT": ("pelvis", (0.14, 0.05, 0.08)), "LBWT": ("pelvis", (0.12, -0.08, 0.08)),
    "LTHI": ("lhip", (0.06, 0.0, -0.20)), "LKNE": ("lknee", (0.05, 0.0, 0.0)),
    "LKNI": ("lknee", (-0.05, 0.0, 0.0)), "LTIB": ("lknee", (0.05, 0.0, -0.20)),
    "LANK": ("lankle", (0.04, 0.0, 0.0)), "LHEE": ("lankle", (0.0, -0.06, -0.05)),
    "LTOE": ("lankle", (0.0, 0.12, -0.06)), "LMT5": ("lankle", (0.04, 0.08, -0.06)),
}  # fmt: skip


def _marker_table() -> tuple[np.ndarray, np.ndarray]:
    placement = dict(_LEFT_AND_MIDDLE)
    for name, (joint, (x, y, z)) in _LEFT_AND_MIDDLE.items():
        if name.startswith("L"):
            mirrored = "r" + joint[1:] if joint.startswith("l") else joint
            placement["R" + name[1:]] = (mirrored, (-x, y, z))
    if set(placement) != set(MARKERS):
        raise RuntimeError(f"markers without a place: {sorted(set(MARKERS) ^ set(placement))}")
    joints = np.array([JOINT_INDEX[placement[m][0]] for m in MARKERS])
    offsets = np.array([placement[m][1] for m in MARKERS], dtype=np.float64)
    return joints, offsets


MARKER_JOINT, MARKER_OFFSET = _marker_table()


def rotation_matrices(angles: np.ndarray) -> np.ndarray:
    """(n, 3) Euler angles (x, then y, then z) -> (n, 3, 3) matrices R = Rz Ry Rx."""
    cx, cy, cz = np.cos(angles).T
    sx, sy, sz = np.sin(angles).T
    one, zero = np.ones_like(cx), np.zeros_like(cx)
    rx = np.stack([one, zero, zero, zero, cx, -sx, zero, sx, cx], -1).reshape(*cx.shape, 3, 3)
    ry = np.stack([cy, zero, sy, zero, one, zero, -sy, zero, cy], -1).reshape(*cx.shape, 3, 3)
    rz = np.stack([cz, -sz, zero, sz, cz, zero, zero, zero, one], -1).reshape(*cx.shape, 3, 3)
    return rz @ ry @ rx


def forward_kinematics(angles: np.ndarray, root: np.ndarray) -> np.ndarray:
    """Markers (frames, 53, 3) from joint angles (frames, 17, 3) and pelvis positions (frames, 3)."""
    frames = len(angles)
    local = rotation_matrices(angles.reshape(-1, 3)).reshape(frames, len(JOINTS), 3, 3)
    rotation = np.empty_like(local)
    position = np.empty((frames, len(JOINTS), 3))
    for j, (_, parent, offset) in enumerate(JOINTS):
        if parent < 0:
            rotation[:, j], position[:, j] = local[:, j], root
        else:
            rotation[:, j] = rotation[:, parent] @ local[:, j]
            position[:, j] = position[:, parent] + rotation[:, parent] @ np.asarray(offset)
    return position[:, MARKER_JOINT] + np.einsum(
        "fmij,mj->fmi", rotation[:, MARKER_JOINT], MARKER_OFFSET
    )
