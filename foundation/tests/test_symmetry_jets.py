"""Jets for the symmetry recipes: the top-tagging format, the toy sampler, Pythia, the taggers."""

import numpy as np
import pytest
import torch

from polymath.foundation.symmetry import invariant_mass
from polymath.foundation.symmetry.jets import (
    JetFormatError,
    read_top_tagging,
    toy_jets,
    write_top_tagging,
)
from polymath.foundation.symmetry.taggers import build_tagger
from polymath.foundation.symmetry.tagging import (
    background_rejection,
    boost_along_jet,
    invariance_errors,
)


def test_top_tagging_tables_round_trip_with_the_published_column_names(tmp_path):
    constituents, labels = toy_jets(20, 8, seed=1)
    path = write_top_tagging(tmp_path / "train.h5", constituents, labels, "train")
    import pandas as pd

    frame = pd.read_hdf(path, key="table")
    assert list(frame.columns[:5]) == ["E_0", "PX_0", "PY_0", "PZ_0", "E_1"]
    assert {"truthE", "truthPX", "truthPY", "truthPZ", "ttv", "is_signal_new"} <= set(frame.columns)
    read, read_labels = read_top_tagging(path)
    assert np.array_equal(read, constituents) and np.array_equal(read_labels, labels)
    fewer, _ = read_top_tagging(path, max_constituents=3, stop=5)
    assert fewer.shape == (5, 3, 4) and np.array_equal(fewer, constituents[:5, :3])
    assert not list(tmp_path.glob("*.partial"))


def test_bad_jet_files_get_one_clear_line(tmp_path):
    with pytest.raises(JetFormatError, match="shape"):
        write_top_tagging(tmp_path / "x.h5", np.zeros((3, 5, 3)), np.zeros(3))
    with pytest.raises(JetFormatError, match="no top-tagging file"):
        read_top_tagging(tmp_path / "missing.h5")
    import pandas as pd

    pd.DataFrame({"a": [1.0]}).to_hdf(tmp_path / "other.h5", key="table", format="table")
    with pytest.raises(JetFormatError, match="lacks the top-tagging columns"):
        read_top_tagging(tmp_path / "other.h5")


def test_toy_tops_are_heavier_than_toy_qcd_jets_and_sorted_by_pt():
    constituents, labels = toy_jets(400, 24, seed=0)
    mass = invariant_mass(torch.from_numpy(constituents).double())
    assert float(mass[labels == 1].median()) == pytest.approx(173, abs=10)
    assert float(mass[labels == 0].median()) < 80
    pt = np.hypot(constituents[..., 1], constituents[..., 2])
    assert np.all(np.diff(pt, axis=1) <= 1e-3)
    assert abs(labels.mean() - 0.5) < 0.01


def test_pythia_top_jets_have_the_top_mass():
    pytest.importorskip("pythia8mc")
    from polymath.foundation.symmetry.jets.pythia import generate_jets

    jets = generate_jets("top", 6, max_constituents=100, seed=3)
    assert jets.shape == (6, 100, 4)
    pt = torch.from_numpy(jets[..., 1:3]).double().sum(1).norm(dim=-1)
    assert torch.all((pt > 540) & (pt < 660))  # the data set's window, up to the dropped tail
    mass = invariant_mass(torch.from_numpy(jets).double())
    assert 120 < float(mass.median()) < 220


@pytest.mark.parametrize("architecture", ["lorentznet", "pelican"])
def test_lorentz_taggers_are_invariant_and_plain_ones_are_not(architecture):
    torch.manual_seed(0)
    p = torch.from_numpy(toy_jets(32, 10, seed=2)[0]).double()
    equivariant = build_tagger(architecture, 8, 2, 0.0, 10).double().eval()
    plain = build_tagger("mlp", 8, 2, 0.0, 10).double().eval()
    assert invariance_errors(equivariant, p, 2.0)["equivariance_boost"] < 1e-9
    assert invariance_errors(equivariant, p, 2.0)["equivariance_rotation"] < 1e-9
    assert invariance_errors(plain, p, 2.0)["equivariance_boost"] > 1e-2


@pytest.mark.parametrize("architecture", ["lorentznet", "pelican"])
def test_lorentz_taggers_learn_to_separate_toy_tops_from_qcd(architecture):
    """Both stalled at a constant logit (accuracy 0.50) when their ψ saw products in (100 GeV)²."""
    torch.manual_seed(0)
    jets, labels = toy_jets(256, 10, seed=3)
    p, y = torch.from_numpy(jets).float(), torch.from_numpy(labels).float()
    tagger = build_tagger(architecture, 8, 2, 0.0, 10)
    optimizer = torch.optim.Adam(tagger.parameters(), lr=3e-3)
    for _ in range(40):
        optimizer.zero_grad()
        torch.nn.functional.binary_cross_entropy_with_logits(tagger(p), y).backward()
        optimizer.step()
    with torch.no_grad():
        logits = tagger(p)
    assert float(logits.std()) > 0.1
    assert float(((logits > 0).float() == y).float().mean()) > 0.75


def test_boost_along_the_jet_axis_keeps_its_direction_and_raises_its_energy():
    p = torch.from_numpy(toy_jets(8, 10, seed=4)[0]).double()
    boosted = boost_along_jet(p, 1.0)
    axis, new_axis = p[..., 1:].sum(1), boosted[..., 1:].sum(1)
    assert torch.allclose(
        torch.nn.functional.normalize(axis, dim=-1), torch.nn.functional.normalize(new_axis, dim=-1)
    )
    assert torch.all(boosted[..., 0].sum(1) > p[..., 0].sum(1))
    assert torch.allclose(invariant_mass(boosted), invariant_mass(p), rtol=1e-9)


def test_background_rejection_on_a_hand_made_roc():
    scores = torch.tensor([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2])
    labels = torch.tensor([1, 1, 0, 1, 0, 0, 0, 1])
    # ε_S = 0.5 is reached at the second signal (threshold 0.8) with no background: rejection inf;
    # ε_S = 0.75 needs threshold 0.6, where 1 of 4 background jets passes: rejection 4
    assert background_rejection(scores, labels, 0.5) == float("inf")
    assert background_rejection(scores, labels, 0.75) == pytest.approx(4.0)
