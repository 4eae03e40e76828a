"""Numbers tokenized per second for each encoding, on the same planet texts, in one run.

Times what a batch costs before the model: number extraction, scaling and the Hugging Face
tokenizer (writing each number in the encoding first for the text encodings).

    python benchmarks/tokenization_throughput.py [--records 200] [--repeats 5]
"""

from __future__ import annotations

import argparse
import time

from polymath.xval.data.batching import Batcher
from polymath.xval.data.planets import PLANET_WORDS, PlanetConfig, generate_planets
from polymath.xval.data.tasks import planet_sample
from polymath.xval.encodings import ENCODINGS
from polymath.xval.numbers import extract_numbers
from polymath.xval.scaler import KeyScaler
from polymath.xval.tokenizer import NumberTokenizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    config = PlanetConfig(n_planets=(2, 5), n_steps=(30, 59), orbits=(15.0, 24.0))
    records = list(generate_planets(args.records, 0, config))
    by_key: dict[str, list[float]] = {}
    for record in records:
        sample = planet_sample(record)
        for key, value in zip(sample.keys, extract_numbers(sample.text).values, strict=True):
            by_key.setdefault(key, []).append(float(value))
    scaler = KeyScaler.fit(by_key)
    numbers = sum(len(v) for v in by_key.values())
    batchers = {
        encoding: Batcher("planets", NumberTokenizer.build(encoding, PLANET_WORDS), scaler)
        for encoding in ENCODINGS
    }
    best = dict.fromkeys(ENCODINGS, float("inf"))
    tokens = {}
    for _ in range(args.repeats):  # round-robin, so that a busy moment hits every encoding alike
        for encoding, batcher in batchers.items():
            started = time.perf_counter()
            encoded = batcher.encode(records)
            best[encoding] = min(best[encoding], time.perf_counter() - started)
            tokens[encoding] = sum(len(e.ids) for _, _, e in encoded) / len(records)
    rates = {encoding: numbers / seconds for encoding, seconds in best.items()}
    for encoding in ENCODINGS:
        print(
            f"{encoding:6s} {rates[encoding]:10,.0f} numbers/s {tokens[encoding]:8.1f} tokens/sample"
        )
    print(
        "ratio of numbers/s to xval: "
        + ", ".join(f"{e} {rates[e] / rates['xval']:.2f}" for e in ENCODINGS)
    )


if __name__ == "__main__":
    main()
