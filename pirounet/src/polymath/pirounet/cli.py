"""``polymath-pirounet label``: the labelling app from the command line (one-line errors)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from polymath.pirounet.data.formats import TRIM_FRAMES, read_session, scale_pirounet
from polymath.pirounet.data.markers import N_MARKERS


def load_source(data: list[str], blind: bool, seq_len: int, trim: int, seed: int):
    """Sessions (``.npy`` (55 or 53, frames, 3), trimmed and scaled together as for training) or,
    with ``blind``, generated sequences (``.npy`` (n, frames, 159) or (n, frames, 53, 3))."""
    from polymath.pirounet.labelling.app import Blind, Timeline

    if blind:
        if len(data) != 1:
            raise ValueError("--blind takes one file of generated sequences")
        path = Path(data[0])
        if not path.is_file():
            raise ValueError(f"{path}: file not found")
        sequences = np.load(path, allow_pickle=False)
        if sequences.ndim == 3 and sequences.shape[2] == 3 * N_MARKERS:
            sequences = sequences.reshape(*sequences.shape[:2], N_MARKERS, 3)
        if sequences.ndim != 4 or sequences.shape[2:] != (N_MARKERS, 3):
            raise ValueError(
                f"{path}: expected (n, frames, 159) sequences, found {sequences.shape}"
            )
        return Blind.shuffled(sequences, seed)
    for path in data:
        if not Path(path).is_file():
            raise ValueError(f"{path}: file not found")
    poses = scale_pirounet(np.concatenate([read_session(path, trim) for path in data]))
    if len(poses) < seq_len:
        raise ValueError(
            f"a window of {seq_len} frames is longer than the data ({len(poses)} frames)"
        )
    return Timeline(poses, seq_len)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="polymath-pirounet", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    label = commands.add_parser("label", help="label windows of dance in the browser")
    label.add_argument(
        "--data",
        nargs="+",
        required=True,
        help="session .npy files (or, with --blind, one file of generated sequences)",
    )
    label.add_argument(
        "--labels", required=True, help="the CSV that saves append to (created if missing)"
    )
    label.add_argument(
        "--blind", action="store_true", help="label generated sequences in a shuffled order"
    )
    label.add_argument("--seq-len", type=int, default=40)
    label.add_argument(
        "--trim", type=int, default=TRIM_FRAMES, help="frames dropped at each end of every session"
    )
    label.add_argument("--seed", type=int, default=0, help="the blind order's seed")
    label.add_argument("--host", default="127.0.0.1")
    label.add_argument("--port", type=int, default=8060)
    args = parser.parse_args(argv)
    try:
        source = load_source(args.data, args.blind, args.seq_len, args.trim, args.seed)
        if not Path(args.labels).resolve().parent.is_dir():
            raise ValueError(f"{args.labels}: its folder does not exist")
    except ValueError as error:
        print(f"polymath-pirounet label: {error}", file=sys.stderr)
        return 2
    from polymath.pirounet.labelling.app import build_app

    print(f"labelling on http://{args.host}:{args.port} (Ctrl-C stops)", flush=True)
    build_app(source, args.labels).run(host=args.host, port=args.port, debug=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
