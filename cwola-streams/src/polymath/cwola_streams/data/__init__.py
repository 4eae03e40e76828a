"""Patches of Gaia-like stars: the reference file layout, loaders and the simulator."""

from polymath.cwola_streams.data.formats import (
    COLUMNS,
    CatalogFormatError,
    Patch,
    label_members,
    load_members,
    load_patch,
    save_patch,
)

__all__ = [
    "COLUMNS",
    "CatalogFormatError",
    "Patch",
    "label_members",
    "load_members",
    "load_patch",
    "save_patch",
]
