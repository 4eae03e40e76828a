"""Rates measured in one run: simulator pairs/s, embedding objects/s per encoder (the `cpu`
presets), and nearest-neighbour retrieval over 10^5 embeddings; printed with their ratios.

    OMP_NUM_THREADS=2 python benchmarks/throughput.py
"""

from __future__ import annotations

import time

import numpy as np
import torch

from polymath.astroclip.data.preprocess import preprocess_images
from polymath.astroclip.data.simulate import Templates, sample_parameters, simulate_pair
from polymath.astroclip.model import AstroCLIP


def rate(work, count: int) -> float:
    start = time.perf_counter()
    work()
    return count / (time.perf_counter() - start)


def main(pairs: int = 40, batch: int = 64, bank: int = 100_000) -> None:
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    templates = Templates.load()
    parameters = sample_parameters(pairs, rng)
    simulated = rate(
        lambda: [
            simulate_pair({k: float(v[i]) for k, v in parameters.items()}, templates, rng)
            for i in range(pairs)
        ],
        pairs,
    )
    model = AstroCLIP().eval()
    images = preprocess_images(torch.rand(batch, 152, 152, 3) * 0.1)
    spectra = torch.randn(batch, 7781, 1)
    with torch.no_grad():
        model.embed_images(images), model.embed_spectra(spectra)  # warm-up
        image_rate = rate(lambda: model.embed_images(images), batch)
        spectrum_rate = rate(lambda: model.embed_spectra(spectra), batch)
        candidates = torch.nn.functional.normalize(torch.randn(bank, 64), dim=-1)
        queries = candidates[:1000]
        search_rate = rate(lambda: (queries @ candidates.T).topk(10, dim=1), len(queries))
    print(
        f"simulator        {simulated:10.1f} pairs/s   (10^4 pairs in {1e4 / simulated / 60:.1f} min)"
    )
    print(
        f"image embedding  {image_rate:10.1f} objects/s ({image_rate / simulated:.0f}x the simulator)"
    )
    print(
        f"spectrum embed.  {spectrum_rate:10.1f} objects/s ({spectrum_rate / simulated:.0f}x the simulator)"
    )
    print(
        f"top-10 search    {search_rate:10.1f} queries/s over {bank} embeddings "
        f"(embedding 10^5 spectra takes {bank / spectrum_rate:.0f} s, searching them "
        f"{bank / search_rate:.1f} s)"
    )


if __name__ == "__main__":
    main()
