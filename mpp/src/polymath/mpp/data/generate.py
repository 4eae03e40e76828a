"""Simulated data sets written once in the published layouts and cached by their parameters."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from polymath.foundation.cache import cache_dir as foundation_cache
from polymath.mpp.data.formats import pdebench_filename, write_pdebench, write_well
from polymath.mpp.data.simulate import simulate
from polymath.mpp.data.windows import SPLIT_FRACTIONS
from polymath.mpp.fields import get_dataset

CHUNK = 32
"""Trajectories simulated at once (bounded memory, a progress bar that moves)."""


def cache_key(dataset: str, n_trajectories: int, resolution: int, n_frames: int, seed: int) -> str:
    settings = {
        "dataset": dataset,
        "n": n_trajectories,
        "res": resolution,
        "frames": n_frames,
        "seed": seed,
        "v": 1,
    }
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]


def generate(
    cache_dir: str | Path,
    datasets: Sequence[str],
    n_trajectories: int,
    resolution: int,
    n_frames: int,
    seed: int = 0,
    progress: bool = True,
) -> Path:
    """Simulates the datasets not yet in ``cache_dir``; returns the folder the loaders should read.

    Each dataset lives in ``cache_dir/<name>-<key>/``, the key hashing its parameters, written to a
    temporary folder and renamed when complete. The returned folder links them all.
    """
    cache_dir = Path(cache_dir)
    simulated = sorted({get_dataset(name).base for name in datasets})  # cns_m1.0:32 -> cns_m1.0
    view = (
        cache_dir
        / "views"
        / cache_key(",".join(simulated), n_trajectories, resolution, n_frames, seed)
    )
    view.mkdir(parents=True, exist_ok=True)
    for name in simulated:
        folder = cache_dir / f"{name}-{cache_key(name, n_trajectories, resolution, n_frames, seed)}"
        if not folder.is_dir():
            _simulate_into(folder, name, n_trajectories, resolution, n_frames, seed, progress)
        link = view / folder.name
        if not link.exists():
            link.symlink_to(folder.resolve(), target_is_directory=True)
    return view


def _simulate_into(
    folder: Path,
    name: str,
    n_trajectories: int,
    resolution: int,
    n_frames: int,
    seed: int,
    progress: bool,
) -> None:
    spec = get_dataset(name)
    partial = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    chunks = []
    bar = tqdm(
        total=n_trajectories,
        desc=f"simulating {name} at {resolution}²",
        unit="traj",
        disable=not progress,
    )
    for start in range(0, n_trajectories, CHUNK):
        count = min(CHUNK, n_trajectories - start)
        chunks.append(simulate(name, count, resolution, n_frames, seed=seed * 100_003 + start))
        bar.update(count)
    bar.close()
    trajectories = chunks[0]
    trajectories.fields = np.concatenate([chunk.fields for chunk in chunks])
    for key in trajectories.extras:
        trajectories.extras[key] = np.concatenate([chunk.extras[key] for chunk in chunks])
    if not np.isfinite(trajectories.fields).all():
        raise FloatingPointError(f"simulating {name} at {resolution}² produced non-finite values")
    if spec.layout == "well":
        n_train = round(SPLIT_FRACTIONS[0] * n_trajectories)
        n_val = round(SPLIT_FRACTIONS[1] * n_trajectories)
        splits = (
            ["train"] * n_train + ["valid"] * n_val + ["test"] * (n_trajectories - n_train - n_val)
        )
        write_well(trajectories, spec, partial, splits)
    else:
        write_pdebench(trajectories, spec, partial / pdebench_filename(spec, resolution))
    partial.rename(folder)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m polymath.mpp.data.generate``: simulate data sets at scale, once, into a cache."""
    import argparse

    from polymath.mpp.fields import DATASETS

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument(
        "--datasets",
        nargs="+",
        default=["swe", "diffre2d", "incompNS", "cns_m0.1", "cns_m1.0"],
        choices=sorted(DATASETS),
    )
    parser.add_argument("--trajectories", type=int, default=100)
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--frames", type=int, default=21)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache-dir", default=None, help="default: $POLYMATH_CACHE/mpp")
    args = parser.parse_args(argv)
    view = generate(
        args.cache_dir or foundation_cache("mpp"),
        args.datasets,
        args.trajectories,
        args.resolution,
        args.frames,
        args.seed,
    )
    print(f"data in {view} (point MPPDataModule's root there)")


if __name__ == "__main__":
    main()
