"""Against a real `mlflow server` on 127.0.0.1 (started once per session by the fixture)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest
from mlflow import MlflowClient

from polymath.foundation.tracking import (
    create_logger,
    end_run,
    ensure_reachable,
    log_figure,
    log_run_metadata,
    log_table,
    make_run_name,
)


@pytest.fixture(autouse=True)
def short_http_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")


def test_a_run_logged_to_a_server_reads_back(mlflow_server: str) -> None:
    ensure_reachable(mlflow_server, timeout=5)
    logger = create_logger(
        "server-package", make_run_name("server-package", "smoke"), mlflow_server
    )
    log_run_metadata(logger, {"model": {"depth": 2}, "trainer": {"max_steps": 4}})
    logger.log_metrics({"train/loss": 0.25}, step=4)
    fig, axes = plt.subplots()
    axes.plot([0, 1])
    log_figure(logger, fig, "curve")
    plt.close(fig)
    log_table(logger, [{"depth": 2, "loss": 0.25}], "summary")
    assert end_run(logger, "FINISHED")

    client = MlflowClient(mlflow_server)
    run = client.get_run(logger.run_id)
    assert client.get_experiment(run.info.experiment_id).name == "server-package"
    assert run.info.status == "FINISHED"
    assert run.data.params == {"model.depth": "2", "trainer.max_steps": "4"}
    assert run.data.metrics == {"train/loss": 0.25}
    assert run.data.tags["version.polymath-foundation"]
    assert run.data.tags["hardware.world_size"] == "1"
    top = {artifact.path for artifact in client.list_artifacts(logger.run_id)}
    assert top == {"config.yaml", "figures", "tables"}
    tables = {artifact.path for artifact in client.list_artifacts(logger.run_id, "tables")}
    assert tables == {"tables/summary.csv", "tables/summary.md"}
    figures = [artifact.path for artifact in client.list_artifacts(logger.run_id, "figures")]
    assert figures == ["figures/curve.png"]
