"""Each published layout written, then read back through the loader the real files go through."""

import h5py
import numpy as np
import pytest
import torch

from polymath.mpp.data.formats import FormatError, TrajectoryFile, find_files, write_pdebench
from polymath.mpp.data.simulate import simulate
from polymath.mpp.data.windows import WindowDataset
from polymath.mpp.fields import get_dataset

LAYOUT_KEYS = {
    "swe": {"0000"},
    "diffre2d": {"0000"},
    "incompNS": {"velocity", "particles", "force", "t"},
    "cns_m0.1": {"Vx", "Vy", "density", "pressure", "t-coordinate", "x-coordinate", "y-coordinate"},
}


@pytest.mark.parametrize("name", ["swe", "diffre2d", "incompNS", "cns_m0.1", "advdiff"])
def test_written_layouts_read_back_as_simulated(simulated_root, name):
    spec = get_dataset(name)
    paths = find_files(simulated_root, spec)
    assert paths
    with h5py.File(paths[0], "r") as file:
        assert LAYOUT_KEYS.get(name, {"t0_fields", "dimensions", "boundary_conditions"}) <= set(
            file
        )
        if name in ("swe", "diffre2d"):
            assert file["0000/data"].shape == (8, 32, 32, len(spec.fields))
            assert {"x", "y", "t"} <= set(file["0000/grid"])
        if name == "cns_m0.1":
            assert file["Vx"].shape == (10, 8, 32, 32)
        if name == "incompNS":
            assert file["velocity"].shape == (10, 8, 32, 32, 2)
            assert file["particles"].shape == (10, 8, 32, 32, 1)
    expected = simulate(name, 10, 32, 8, seed=0).fields  # generate's first chunk uses seed 0
    file = TrajectoryFile(paths[0], spec)
    if spec.layout != "well":
        np.testing.assert_array_equal(file.read(3, 2, 5), np.moveaxis(expected[3, 2:5], -1, 1))


def test_windows_fields_slots_and_boundaries(simulated_root):
    dataset = WindowDataset(get_dataset("cns_m0.1"), simulated_root, history=5, split="train")
    assert len(dataset.trajectories) == 8 and len(dataset) == 8 * (8 - 5)
    item = dataset[len(dataset) - 1]
    assert item["x"].shape == (5, 4, 32, 32) and item["y"].shape == (4, 32, 32)
    assert item["fields"].tolist() == [6, 7, 8, 9] and item["bcs"].tolist() == [1, 1]
    whole = dataset.trajectory(item["trajectory"])
    torch.testing.assert_close(item["x"], whole[2:7])  # the last window ends at the last frame
    torch.testing.assert_close(item["y"], whole[7])
    first = dataset[0]
    torch.testing.assert_close(first["x"], dataset.trajectory(0)[:5])
    swe = WindowDataset(get_dataset("swe"), simulated_root, history=5)
    assert swe[0]["fields"].tolist() == [0] and swe[0]["bcs"].tolist() == [0, 0]
    advdiff = WindowDataset(get_dataset("advdiff"), simulated_root, history=5)
    assert advdiff[0]["fields"].tolist() == [10]


@pytest.mark.parametrize("name", ["swe", "incompNS", "cns_m0.1", "advdiff"])
def test_splits_are_disjoint_by_trajectory_and_cover_all(simulated_root, name):
    spec = get_dataset(name)
    splits = {
        s: WindowDataset(spec, simulated_root, 3, s).trajectories for s in ("train", "val", "test")
    }
    sets = {s: set(refs) for s, refs in splits.items()}
    assert (
        not (sets["train"] & sets["val"])
        and not (sets["train"] & sets["test"])
        and not (sets["val"] & sets["test"])
    )
    assert sum(len(s) for s in sets.values()) == 10
    assert [len(splits[s]) for s in ("train", "val", "test")] == [8, 1, 1]


def test_windows_longer_than_trajectories_are_refused(simulated_root):
    with pytest.raises(FormatError, match="has 8 frames per trajectory, too few for 8 history"):
        WindowDataset(get_dataset("swe"), simulated_root, history=8)


def test_unknown_layout_and_missing_field_are_named(tmp_path):
    with h5py.File(tmp_path / "2D_rdb_NA_NA.h5", "w") as file:
        file.create_dataset("tensor", data=np.zeros((2, 3)))
    with pytest.raises(FormatError, match="unknown layout .*tensor"):
        TrajectoryFile(tmp_path / "2D_rdb_NA_NA.h5", get_dataset("swe"))
    spec = get_dataset("cns_m0.1")
    path = tmp_path / "2D_CFD_Rand_M0.1_periodic_32_Train.hdf5"
    write_pdebench(simulate("cns_m0.1", 1, 32, 3), spec, path)
    with h5py.File(path, "a") as file:
        del file["pressure"]
    with pytest.raises(FormatError, match="field 'pressure' is missing"):
        TrajectoryFile(path, spec)
    with pytest.raises(FormatError, match="no .* file under"):
        WindowDataset(get_dataset("swe"), tmp_path / "empty", 3)


def test_generation_is_cached_by_its_parameters(tmp_path, monkeypatch):
    from polymath.mpp.data import generate as generation

    first = generation.generate(tmp_path, ["advdiff"], 4, 32, 5, progress=False)
    calls = []

    def simulate(*args, **kwargs):
        calls.append(args)
        raise RuntimeError("simulating")

    monkeypatch.setattr(generation, "simulate", simulate)
    assert generation.generate(tmp_path, ["advdiff"], 4, 32, 5, progress=False) == first
    assert not calls  # nothing simulated again
    with pytest.raises(RuntimeError, match="simulating"):  # other parameters: simulated anew
        generation.generate(tmp_path, ["advdiff"], 4, 32, 6, progress=False)
    assert calls


def test_a_filter_picks_one_resolution_of_a_dataset(tmp_path):
    spec = get_dataset("cns_m0.1")
    for resolution in (32, 48):
        path = tmp_path / f"2D_CFD_Rand_M0.1_Eta1e-08_Zeta1e-08_periodic_{resolution}_Train.hdf5"
        write_pdebench(simulate("cns_m0.1", 2, resolution, 3), spec, path)
    with pytest.raises(FormatError, match="different resolutions .* cns_m0.1:32 and cns_m0.1:48"):
        WindowDataset(spec, tmp_path, history=2)
    larger = WindowDataset(get_dataset("cns_m0.1:48"), tmp_path, history=2)
    assert larger.shape == (48, 48) and len(larger.files) == 1
    assert larger.spec.name == "cns_m0.1:48" and larger[0]["fields"].tolist() == [6, 7, 8, 9]
