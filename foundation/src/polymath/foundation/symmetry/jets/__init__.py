"""Top-tagging jets: the public data set's format, a Pythia + FastJet generator and a toy sampler."""

from polymath.foundation.symmetry.jets.format import (
    JetFormatError,
    read_top_tagging,
    write_top_tagging,
)
from polymath.foundation.symmetry.jets.toy import toy_jets

__all__ = ["JetFormatError", "read_top_tagging", "toy_jets", "write_top_tagging"]
