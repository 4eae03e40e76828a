import os
import shutil
import subprocess
from pathlib import Path

import pytest
import torch

# The models under test are small: one thread avoids oversubscribing a shared 2-core machine.
torch.set_num_threads(1)

CHROMIUM = Path("/usr/bin/chromium")


def _install_chromium() -> None:
    """Debian's Chromium, as the dependencies note installs it (root, or password-less sudo)."""
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if not shutil.which("apt-get") or (prefix and not shutil.which("sudo")):
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*prefix, "apt-get", "update", "-q"], env=env, capture_output=True, timeout=600)
    subprocess.run(
        [*prefix, "apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"],
        env=env, capture_output=True, timeout=900,
    )  # fmt: skip


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of a headless-capable Chromium, installed on first use; under CI=true a missing
    browser (or playwright) fails the test instead of skipping it."""
    if not CHROMIUM.exists():
        _install_chromium()
    problem = None if CHROMIUM.exists() else f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problem = "playwright is not installed (pip install playwright; never `playwright install`)"
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(problem)
        pytest.skip(problem)
    return str(CHROMIUM)
