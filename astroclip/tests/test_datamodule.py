import csv

import numpy as np
import pytest

from polymath.astroclip.data.datamodule import AstroCLIPDataModule
from polymath.astroclip.data.formats import write_astroclip_h5, write_catalogue


def test_the_datamodule_reads_a_user_file_and_batches_network_input(tmp_path):
    rng = np.random.default_rng(0)
    n = 20
    pairs = {
        "images": rng.random((n, 152, 152, 3), dtype=np.float32),
        "spectra": rng.random((n, 7781, 1), dtype=np.float32),
        "redshifts": rng.random(n, dtype=np.float32),
        "targetids": np.arange(n, dtype=np.int64),
    }
    path = write_astroclip_h5(tmp_path / "real.h5", pairs)
    datamodule = AstroCLIPDataModule(path=str(path), batch_size=4)
    datamodule.prepare_data()
    datamodule.setup()
    assert len(datamodule.train_set) == 10 and len(datamodule.test_set) == 10
    batch = next(iter(datamodule.train_dataloader()))
    assert batch["images"].shape == (4, 3, 144, 144) and batch["spectra"].shape == (4, 7781, 1)
    assert batch["images"].min() >= 0 and batch["images"].max() <= 1
    assert set(datamodule.properties("test")) == {"redshift"}  # no catalogue for a user's file

    catalogue = write_catalogue(
        tmp_path / "cat.npz", pairs["targetids"], {"log_mass": np.arange(n) * 1.0}
    )
    with_catalogue = AstroCLIPDataModule(path=str(path), catalogue=str(catalogue))
    with_catalogue.setup()
    test = with_catalogue.properties("test")
    assert np.array_equal(test["log_mass"], with_catalogue.pairs["test"]["targetids"] * 1.0)

    assert with_catalogue.morphology("test") is None  # no bulge fraction or ellipticity

    gz = tmp_path / "gz_crossmatched.csv"
    columns = ["iauname", "targetid", "ra", "dec"] + [
        f"smooth-or-featured_{a}_fraction" for a in ("smooth", "featured-or-disk", "artifact")
    ]
    with gz.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(columns)
        for t in pairs["targetids"][::2]:  # half the galaxies have Galaxy Zoo votes
            writer.writerow([f"J{t}", t, 0.0, 0.0, 0.9, 0.1, 0.0])
    with_votes = AstroCLIPDataModule(path=str(path), morphology=str(gz))
    with_votes.setup()
    votes = with_votes.morphology("train")["smooth-or-featured"]
    voted = with_votes.pairs["train"]["targetids"] % 2 == 0
    assert np.allclose(votes[voted], [0.9, 0.1, 0.0]) and np.isnan(votes[~voted]).all()
    with pytest.raises(ValueError, match="not a Galaxy Zoo DECaLS"):
        AstroCLIPDataModule(path=str(path), morphology=str(tmp_path / "cat.npz"))
