import pytest
import torch

from polymath.foundation import ModelFileError, load_model, run_recipe
from polymath.foundation.stages import evaluate

pytestmark = pytest.mark.usefixtures("example_site", "in_tmp")


@pytest.fixture
def trained(mlflow_uri):
    return run_recipe("example", "smoke", ["trainer.max_steps=6"], tracking_uri=mlflow_uri)


def test_every_source_gives_back_the_same_plain_model(trained, mlflow_uri, tmp_path):
    from polymath.example.model import Linear

    by_id = load_model(trained.run_id, tracking_uri=mlflow_uri)
    by_uri = load_model(f"runs:/{trained.run_id}/model", tracking_uri=mlflow_uri)
    by_checkpoint = load_model(trained.workdir / "checkpoints" / "last.ckpt")
    by_file = load_model(by_id.save(tmp_path / "linear.pt"))
    for model in (by_id, by_uri, by_checkpoint, by_file):
        assert isinstance(model, Linear) and model.model_args == {"features": 4}
        assert torch.equal(model.layer.weight, by_id.layer.weight)


def test_a_registered_model_loads_by_its_models_uri(mlflow_uri):
    run_recipe("example", "smoke", ["trainer.max_steps=2"], mlflow_uri, register="linear")
    assert load_model("models:/linear/1", tracking_uri=mlflow_uri).model_args == {"features": 4}


def test_init_from_starts_a_recipe_from_a_logged_model(trained, mlflow_uri):
    from polymath.example.module import Regression

    module = Regression(init_from=f"runs:/{trained.run_id}/model")
    start = load_model(trained.run_id, tracking_uri=mlflow_uri)
    assert torch.equal(module.model.layer.weight, start.layer.weight)


def test_evaluate_reruns_the_test_set_without_training(trained, mlflow_uri):
    result = evaluate("example", trained.run_id, tracking_uri=mlflow_uri)
    assert result.run_id != trained.run_id
    assert result.metrics["test/loss"] == pytest.approx(trained.metrics["test/loss"], rel=1e-5)
    assert "train/loss" not in result.metrics


@pytest.mark.parametrize("source", ["nothing-here", "runs:/0123456789abcdef0123456789abcdef/model"])
def test_a_bad_source_is_one_clear_error(mlflow_uri, source):
    with pytest.raises(ModelFileError, match="cannot"):
        load_model(source, tracking_uri=mlflow_uri)
