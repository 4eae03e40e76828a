"""A linear regression on a seeded synthetic data set: the package contract with nothing else in the way.

The public names load on first use (PEP 562), so that loading ``package.py`` stays light.
"""

import importlib

_WHERE = {"Linear": "model", "Regression": "module", "RegressionData": "module"}


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
