"""polymath.foundation: training, tracking and streaming shared by every polymath package."""

from importlib.metadata import version

__version__ = version("polymath-foundation")
