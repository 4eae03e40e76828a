"""The 53 markers the models see, in the order of the files (after dropping the two virtual hips)."""

from __future__ import annotations

# The 39 markers of Vicon's plug-in-gait full-body set, then 14 extra ones (head top, waist, medial
# knees, elbows and wrists, fifth metatarsals) to reach the dataset's 53. The extra names are ours:
# the notes give the count and the style (ARIEL, KNI, ...), not the full list of the real files.
MARKERS: tuple[str, ...] = (
    "LFHD", "RFHD", "LBHD", "RBHD", "C7", "T10", "CLAV", "STRN", "RBAK",
    "LSHO", "LUPA", "LELB", "LFRM", "LWRA", "LWRB", "LFIN",
    "RSHO", "RUPA", "RELB", "RFRM", "RWRA", "RWRB", "RFIN",
    "LASI", "RASI", "LPSI", "RPSI",
    "LTHI", "LKNE", "LTIB", "LANK", "LHEE", "LTOE",
    "RTHI", "RKNE", "RTIB", "RANK", "RHEE", "RTOE",
    "ARIEL", "LFWT", "RFWT", "LBWT", "RBWT", "LKNI", "RKNI",
    "LELBIN", "RELBIN", "LIWR", "RIWR", "LMT5", "RMT5", "STRN2",
)  # fmt: skip

N_MARKERS = len(MARKERS)
# The raw files have 55 markers: these two (LabelingHips, SolvingHips) are virtual and dropped.
VIRTUAL_MARKERS = (26, 53)
N_RAW_MARKERS = N_MARKERS + len(VIRTUAL_MARKERS)

assert N_MARKERS == 53 and len(set(MARKERS)) == 53
