"""Beyond Imitation's recipes end to end (tiny overrides, in process): fit, test, report, GIFs;
and the report parts on their own."""

import numpy as np
import pytest
import torch
from mlflow import MlflowClient

from polymath.foundation.runner import run_recipe
from polymath.pirounet.beyond_module import MDNModule, PoseAEModule
from polymath.pirounet.data.motion import MotionDataModule
from polymath.pirounet.report import _mdn, _pose_autoencoder

TINY = ["data.synthetic_sessions=1", "data.synthetic_seconds=8.0", "trainer.max_epochs=1",
        "trainer.max_steps=3", "trainer.progress=none", "trainer.threads=1"]  # fmt: skip
CASES = {
    "mdn": (["model.hidden=8", "model.layers=1", "data.seq_len=4", "data.stride=4"],
            {"test/nll", "generation/speed_ratio_joint", "generation/speed_ratio_per_dimension"},
            {"mdn_joint.gif", "mdn_per_dimension.gif"}),
    "pose-ae": (["model.hidden=8", "data.batch_size=32"], {"test/mse"}, {"pose_ae_latent_circle.gif"}),
    "seq-vae": (["model.seq_len=8", "data.seq_len=8", "model.hidden=8", "model.latent=4"],
                {"test/ajd", "variations/ajd_sigma_2.0", "continuizer/seam_mse_after"},
                {"seq_vae_reconstruction.gif", "seq_vae_continuized.gif"}),
}  # fmt: skip


@pytest.mark.parametrize(
    "recipe",
    [
        pytest.param("mdn", marks=pytest.mark.slow),
        pytest.param("pose-ae", marks=pytest.mark.slow),
        "seq-vae",
    ],
)
def test_beyond_imitation_recipes_fit_report_and_animate(recipe, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    overrides, metrics, gifs = CASES[recipe]
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    result = run_recipe("pirounet", recipe, [*TINY, *overrides], tracking_uri=uri)
    client = MlflowClient(uri)
    logged = client.get_run(result.run_id).data.metrics
    assert metrics <= set(logged), sorted(logged)
    animations = {a.path.split("/")[-1] for a in client.list_artifacts(result.run_id, "animations")}
    assert gifs <= animations


@pytest.mark.parametrize(("kind", "module", "report"), [
    ("next_frame", MDNModule(hidden=8, layers=1, mixtures=2, dense=8), _mdn),
    ("frames", PoseAEModule(hidden=8), None),
])  # fmt: skip
def test_the_reports_measure_without_a_run(kind, module, report):
    """The other models' report parts (their GIFs run in the slow recipe tests above)."""
    data = MotionDataModule(kind, synthetic_sessions=1, synthetic_seconds=8.0, seq_len=4, stride=4,
                            scaling="beyond_imitation")  # fmt: skip
    data.setup()
    with torch.no_grad():
        if report is None:
            found, gifs = _pose_autoencoder(NoRun(), module.eval(), data)
        else:
            found, gifs = report(module.eval(), data)
    for poses, _ in gifs.values():
        assert poses.shape[1:] == (53, 3) and np.isfinite(poses).all()
    if kind == "next_frame":
        # the reference's argmax-mean generation moves less than sampling from the joint mixture
        assert found["generation/speed_ratio_per_dimension"] < found["generation/speed_ratio_joint"]


class NoRun:
    def log_figure(self, figure, name):
        assert name == "latent_plane.png" and figure.axes
