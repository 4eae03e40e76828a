"""The stick figure the plots and the app draw: 22 segments between averages of marker groups
(a knee is the mean of its lateral and medial markers), as in the references' renderings."""

from __future__ import annotations

import numpy as np

from polymath.pirounet.data.markers import MARKERS

_MIDDLE = {
    "crown": ("ARIEL",), "head": ("LFHD", "RFHD", "LBHD", "RBHD"), "neck": ("C7", "CLAV"),
    "chest": ("STRN", "STRN2", "T10", "RBAK"), "pelvis": ("LASI", "RASI", "LPSI", "RPSI"),
}  # fmt: skip
_SIDE = {
    "shoulder": ("SHO",), "elbow": ("ELB", "ELBIN"), "wrist": ("WRA", "WRB", "IWR"),
    "hand": ("FIN",), "hip": ("ASI", "PSI", "THI"), "knee": ("KNE", "KNI"), "ankle": ("ANK", "HEE"),
    "toe": ("TOE", "MT5"),
}  # fmt: skip
JOINT_GROUPS: dict[str, tuple[str, ...]] = {
    **_MIDDLE,
    **{f"{s.lower()}{j}": tuple(s + m for m in ms) for s in "LR" for j, ms in _SIDE.items()},
}
_CHAINS = (("neck", "shoulder"), ("shoulder", "elbow"), ("elbow", "wrist"), ("wrist", "hand"),
           ("pelvis", "hip"), ("hip", "knee"), ("knee", "ankle"), ("ankle", "toe"))  # fmt: skip
SEGMENTS: tuple[tuple[str, str], ...] = (
    ("crown", "head"), ("head", "neck"), ("neck", "chest"), ("chest", "pelvis"),
    ("lshoulder", "rshoulder"), ("lhip", "rhip"),
    *((a if a in _MIDDLE else s + a, s + b) for s in "lr" for a, b in _CHAINS),
)  # fmt: skip
JOINTS = tuple(JOINT_GROUPS)
_AVERAGE = np.zeros((len(JOINTS), len(MARKERS)))
for _j, _group in enumerate(JOINT_GROUPS.values()):
    _AVERAGE[_j, [MARKERS.index(m) for m in _group]] = 1 / len(_group)
_ENDS = np.array([[JOINTS.index(a), JOINTS.index(b)] for a, b in SEGMENTS])

assert len(SEGMENTS) == 22


def joint_positions(poses: np.ndarray) -> np.ndarray:
    """(frames, 53, 3) or (frames, 159) markers -> (frames, joints, 3) marker-group averages."""
    poses = np.asarray(poses).reshape(len(poses), len(MARKERS), 3)
    return np.einsum("jm,fmc->fjc", _AVERAGE, poses)


def segment_ends(poses: np.ndarray) -> np.ndarray:
    """(frames, 22, 2, 3): both ends of every segment in every frame."""
    return joint_positions(poses)[:, _ENDS]
