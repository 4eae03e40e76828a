"""Top and QCD jets from Pythia 8 and FastJet, as in the public top-tagging data set.

√s = 14 TeV; tops from gg/qq̄ → tt̄ with hadronic W decays, QCD from all hard 2 → 2 processes, both
with p̂T in [550, 650] GeV. Visible final-state particles are clustered with anti-kT, R = 0.8;
a jet is kept when 550 < pT < 650 GeV and |η| < 2, and a top jet only within ΔR < 0.8 of a top
quark. Constituents are (E, px, py, pz), sorted by pT. Needs the ``symmetry`` extra
(``pip install 'polymath-foundation[symmetry]'``: pythia8mc and fastjet).
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import sys
from collections.abc import Callable, Iterator

import numpy as np

PROCESSES = {
    "top": [
        "Top:gg2ttbar = on",
        "Top:qqbar2ttbar = on",
        "24:onMode = off",
        "24:onIfAny = 1 2 3 4 5",
    ],
    "qcd": ["HardQCD:all = on"],
}


def _modules():
    try:
        import fastjet
        import pythia8mc
    except ImportError as error:
        raise ImportError(
            f"Pythia jets need the symmetry extra: pip install 'polymath-foundation[symmetry]' ({error})"
        ) from None
    return pythia8mc, fastjet


@contextlib.contextmanager
def _silenced_stdout() -> Iterator[None]:
    """FastJet prints a banner from C++ on its first clustering, and Python cannot turn it off."""
    sys.stdout.flush()
    saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        ctypes.CDLL(None).fflush(None)
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _delta_r(eta1: float, phi1: float, eta2: float, phi2: float) -> float:
    dphi = (phi1 - phi2 + math.pi) % (2 * math.pi) - math.pi
    return math.hypot(eta1 - eta2, dphi)


def generate_jets(
    kind: str,
    jets: int,
    max_constituents: int = 200,
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """(jets, max_constituents, 4) float32 constituents of ``kind`` ("top" or "qcd") jets."""
    if kind not in PROCESSES:
        raise ValueError(f"unknown jet kind {kind!r}; known: {', '.join(PROCESSES)}")
    pythia8mc, fastjet = _modules()
    pythia = pythia8mc.Pythia("", False)
    settings = [
        "Beams:eCM = 14000",
        "PhaseSpace:pTHatMin = 550",
        "PhaseSpace:pTHatMax = 650",
        "Print:quiet = on",
        "Random:setSeed = on",
        f"Random:seed = {seed % 900_000_000}",
        *PROCESSES[kind],
    ]
    for line in settings:
        pythia.readString(line)
    if not pythia.init():
        raise RuntimeError(f"Pythia failed to initialise for {kind} jets")
    definition = fastjet.JetDefinition(fastjet.antikt_algorithm, 0.8)
    out = np.zeros((jets, max_constituents, 4), np.float32)
    found = 0
    while found < jets:
        if not pythia.next():
            continue
        event = pythia.event
        particles, tops = [], []
        for i in range(event.size()):
            particle = event[i]
            if particle.isFinal() and particle.isVisible():
                particles.append(
                    fastjet.PseudoJet(particle.px(), particle.py(), particle.pz(), particle.e())
                )
            elif particle.idAbs() == 6 and event[particle.daughter1()].idAbs() != 6:
                tops.append((particle.eta(), particle.phi()))
        if found == 0:
            with _silenced_stdout():
                sequence = fastjet.ClusterSequence(particles, definition)
        else:
            sequence = fastjet.ClusterSequence(particles, definition)
        for jet in fastjet.sorted_by_pt(sequence.inclusive_jets(500.0)):
            if found >= jets:
                break
            if not (550 < jet.pt() < 650 and abs(jet.eta()) < 2):
                continue
            if kind == "top" and not any(
                _delta_r(jet.eta(), jet.phi_std(), e, p) < 0.8 for e, p in tops
            ):
                continue
            constituents = fastjet.sorted_by_pt(jet.constituents())[:max_constituents]
            for k, c in enumerate(constituents):
                out[found, k] = (c.e(), c.px(), c.py(), c.pz())
            found += 1
            if progress is not None:
                progress(1)
            if kind == "qcd":
                break  # the leading jet only, as in the data set
    return out
