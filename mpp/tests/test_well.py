"""Our Well writer's output loads through the-well's own WellDataset (an optional extra).

the-well pins fsspec==2024.10.0, so it is not installed beside Lightning and MLflow in the shared
environment: ``bash tests/scripts/well_extra.sh`` runs this test in a throw-away environment with it.
"""

import numpy as np
import pytest
import torch

from polymath.mpp.data.formats import write_well
from polymath.mpp.data.simulate import simulate
from polymath.mpp.data.windows import WindowDataset
from polymath.mpp.fields import get_dataset

the_well_data = pytest.importorskip(
    "the_well.data", reason="the-well is an optional extra (mpp[well])"
)


def test_well_files_load_through_welldataset_and_ours(tmp_path):
    spec = get_dataset("advdiff")
    trajectories = simulate("advdiff", 5, 32, 6, seed=1)
    base = write_well(trajectories, spec, tmp_path, ["train", "train", "train", "valid", "test"])
    theirs = the_well_data.WellDataset(
        path=str(base),
        well_split_name="train",
        n_steps_input=3,
        n_steps_output=1,
        use_normalization=True,
    )
    assert len(theirs) == 3 * (6 - 3)
    sample = theirs[0]
    assert tuple(sample["input_fields"].shape) == (3, 32, 32, 1)
    raw = the_well_data.WellDataset(
        path=str(base), well_split_name="train", n_steps_input=3, n_steps_output=1
    )
    expected = np.swapaxes(trajectories.fields[0, :3, ..., 0], -1, -2)  # the Well stores (x, y)
    np.testing.assert_allclose(raw[0]["input_fields"][..., 0].numpy(), expected, rtol=1e-6)
    assert raw[0]["boundary_conditions"].tolist() == [[2, 2], [2, 2]]  # periodic on both axes
    ours = WindowDataset(spec, tmp_path, history=3, split="train")
    torch.testing.assert_close(
        ours[0]["x"][:, 0], torch.from_numpy(trajectories.fields[0, :3, ..., 0])
    )
