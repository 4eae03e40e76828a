"""How fast the command starts: ``polymath list`` against ``python -c "import torch"``.

    python foundation/benchmarks/cli_startup.py [--repeats 5]

Both run as fresh processes, alternately, and the median wall time of each is kept; the ratio is
the figure (target: at most 0.5). Also prints ``polymath --help``. A shared machine slows both.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "polymath list": [sys.executable, "-m", "polymath.foundation.cli", "list"],
    "polymath --help": [sys.executable, "-m", "polymath.foundation.cli", "--help"],
    "import torch": [sys.executable, "-c", "import torch"],
}


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for command in COMMANDS.values():  # warm the file cache once
        wall(command)
    for _ in range(repeats):
        for name, command in COMMANDS.items():
            times[name].append(wall(command))
    median = {name: statistics.median(values) for name, values in times.items()}
    for name, value in median.items():
        print(f"{name:18} {value:6.2f} s (median of {repeats})")
    torch = median["import torch"]
    print(f"polymath list / import torch:   {median['polymath list'] / torch:.2f}  (target <= 0.5)")
    print(f"polymath --help / import torch: {median['polymath --help'] / torch:.2f}")


if __name__ == "__main__":
    main()
