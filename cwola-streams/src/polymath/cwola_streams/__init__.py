"""polymath.cwola_streams: CWoLa stellar-stream search (Pettee et al. 2023)."""

from importlib.metadata import version

__version__ = version("polymath-cwola-streams")
