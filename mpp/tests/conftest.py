import pytest
import torch

pytest_plugins = ["polymath.foundation.testing"]

# The models under test are tiny: one thread avoids oversubscribing a shared 2-core machine.
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def simulated_root(tmp_path_factory):
    """Small simulated files of every dataset, in the published layouts (written once per session)."""
    from polymath.mpp.data.generate import generate

    cache = tmp_path_factory.mktemp("mpp_data")
    names = ["swe", "diffre2d", "incompNS", "cns_m0.1", "advdiff"]
    return generate(cache, names, n_trajectories=10, resolution=32, n_frames=8, progress=False)
