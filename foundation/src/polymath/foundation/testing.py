"""pytest fixtures every package's tests share: ``pytest_plugins = ["polymath.foundation.testing"]``
in a package's top-level ``tests/conftest.py``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from polymath.foundation.cache import CACHE_ENV


@pytest.fixture(autouse=True, scope="session")
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """What the tests simulate is cached in a temporary folder, never in the user's cache (and
    shared by the session's tests, as a user's runs share theirs); subprocesses inherit it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV, str(tmp_path_factory.mktemp("polymath-cache")))
        yield
