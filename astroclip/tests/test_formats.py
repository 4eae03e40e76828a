import h5py
import numpy as np
import pytest

from polymath.astroclip.data.formats import (
    FormatError,
    read_astroclip_h5,
    read_catalogue,
    write_astroclip_h5,
    write_catalogue,
)


def pairs(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    return {
        "images": rng.random((n, 152, 152, 3), dtype=np.float32),
        "spectra": rng.random((n, 7781, 1), dtype=np.float32),
        "redshifts": rng.random(n, dtype=np.float32),
        "targetids": np.arange(100, 100 + n, dtype=np.int64),
    }


def test_round_trip_and_the_80_20_split_per_group(tmp_path):
    written = pairs(50)
    path = write_astroclip_h5(tmp_path / "pairs.h5", written)
    with h5py.File(path) as file:
        assert sorted(file) == [str(i) for i in range(10)]
        assert file["3"]["images"].shape == (5, 152, 152, 3)
    everything = read_astroclip_h5(path)
    for name, values in written.items():
        assert np.array_equal(everything[name], values)
    train, test = read_astroclip_h5(path, "train"), read_astroclip_h5(path, "test")
    assert len(train["targetids"]) == 40 and len(test["targetids"]) == 10
    assert test["targetids"].tolist() == list(range(104, 150, 5))  # the last of every group of 5


def test_a_file_of_another_layout_gets_a_clear_error(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as file:
        file.create_dataset("images", data=np.zeros((2, 4)))
    with pytest.raises(FormatError, match="groups 0, 1"):
        read_astroclip_h5(path)
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(FormatError, match="not an HDF5 file"):
        read_astroclip_h5(tmp_path / "text.h5")


def test_images_without_three_bands_are_refused_by_the_writer(tmp_path):
    bad = pairs(10)
    bad["images"] = bad["images"][..., :2]
    with pytest.raises(FormatError, match="images has shape"):
        write_astroclip_h5(tmp_path / "bad.h5", bad)
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_catalogue_is_joined_by_targetid(tmp_path):
    path = write_catalogue(
        tmp_path / "cat.npz", np.array([5, 7, 9]), {"mass": np.array([1.0, 2.0, 3.0])}
    )
    assert read_catalogue(path, np.array([9, 5]))["mass"].tolist() == [3.0, 1.0]
    with pytest.raises(FormatError, match="1 targets missing"):
        read_catalogue(path, np.array([9, 6]))
