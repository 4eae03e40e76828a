import numpy as np
import pytest

from polymath.cwola_streams.data import (
    CatalogFormatError,
    Patch,
    label_members,
    load_members,
    load_patch,
    save_patch,
)


def random_patch(n=20, seed=0):
    rng = np.random.default_rng(seed)
    return Patch(rng.normal(size=(n, 10)), rng.random(n) < 0.3)


def test_round_trip_with_and_without_the_stream_column(tmp_path):
    patch = random_patch()
    loaded = load_patch(save_patch(patch, tmp_path / "a.npy"))
    np.testing.assert_array_equal(loaded.stars, patch.stars)
    np.testing.assert_array_equal(loaded.is_stream, patch.is_stream)
    np.save(tmp_path / "b.npy", patch.stars)
    assert load_patch(tmp_path / "b.npy").is_stream is None


@pytest.mark.parametrize("shape", [(5, 9), (5, 12), (10,)])
def test_wrong_number_of_columns_is_named(tmp_path, shape):
    np.save(tmp_path / "bad.npy", np.zeros(shape))
    with pytest.raises(CatalogFormatError, match=r"expected 10 columns .* got an array of shape"):
        load_patch(tmp_path / "bad.npy")


def test_unreadable_and_non_finite_files(tmp_path):
    (tmp_path / "text.npy").write_text("not numpy")
    with pytest.raises(CatalogFormatError, match="not a readable .npy"):
        load_patch(tmp_path / "text.npy")
    array = np.zeros((3, 10))
    array[1, 4] = np.nan
    np.save(tmp_path / "nan.npy", array)
    with pytest.raises(CatalogFormatError, match="NaN"):
        load_patch(tmp_path / "nan.npy")


def test_members_match_within_1e_4_in_four_numbers(tmp_path):
    patch = random_patch(50)
    columns = [3, 2, 1, 0]  # ra, dec, pmra, pmdec in the reference layout
    members = patch.stars[:5][:, columns].copy()
    members[0, 2] += 5e-5  # still the same source
    members[1, 0] += 3e-4  # another source
    np.save(tmp_path / "members.npy", members)
    header = "source_id,ra,dec,pmra,pmdec"
    rows = np.column_stack([np.arange(5), members])
    np.savetxt(tmp_path / "members.csv", rows, delimiter=",", header=header, comments="")
    for path in ("members.npy", "members.csv"):
        flags = label_members(patch, load_members(tmp_path / path))
        assert flags[[0, 2, 3, 4]].all() and not flags[1]
        assert flags.sum() == 4


def test_member_list_errors(tmp_path):
    np.savetxt(tmp_path / "m.csv", np.zeros((2, 2)), delimiter=",", header="ra,dec", comments="")
    with pytest.raises(CatalogFormatError, match="lacks the columns pmra, pmdec"):
        load_members(tmp_path / "m.csv")
    (tmp_path / "m.fits").write_text("")
    with pytest.raises(CatalogFormatError, match="from .npy or .csv"):
        load_members(tmp_path / "m.fits")
