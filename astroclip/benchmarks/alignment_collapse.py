"""Why an alignment from scratch can stay at chance: the same CLIP training of the `quick` model
with the image ViT's LayerScale at DINOv2's 1e-5 and off, side by side, in one run.

    OMP_NUM_THREADS=1 python benchmarks/alignment_collapse.py --steps 150

Reads the quick recipe's cached pairs (run `polymath run astroclip quick` once first). Prints, every
``--every`` steps, the test CLIP loss (ln 32 = 3.47 for unaligned embeddings), the mean pairwise
cosine of the image and spectrum embeddings (1 = all the same: collapse) and the median rank of
the true partner in image -> spectrum retrieval (chance 200.5 for 400 test pairs).
"""

from __future__ import annotations

import argparse
import math

import torch

from polymath.astroclip.data.datamodule import AstroCLIPDataModule
from polymath.astroclip.data.preprocess import preprocess_images
from polymath.astroclip.evaluation import retrieval_metrics
from polymath.astroclip.losses import clip_loss
from polymath.astroclip.model import AstroCLIP
from polymath.foundation.schedules import warmup_cosine


def mean_cosine(embeddings: torch.Tensor) -> float:
    unit = torch.nn.functional.normalize(embeddings, dim=-1)
    similarity = unit @ unit.T
    return similarity[~torch.eye(len(unit), dtype=torch.bool)].mean().item()


@torch.no_grad()
def evaluate(model: AstroCLIP, images: torch.Tensor, spectra: torch.Tensor) -> str:
    model.eval()
    image = torch.cat([model.embed_images(images[i : i + 64]) for i in range(0, len(images), 64)])
    spectrum = torch.cat(
        [model.embed_spectra(spectra[i : i + 64]) for i in range(0, len(spectra), 64)]
    )
    losses = [
        clip_loss(image[i : i + 32], spectrum[i : i + 32], 15.5).item()
        for i in range(0, len(image) - 31, 32)
    ]
    rank = retrieval_metrics(image, spectrum)["median_rank"]
    model.train()
    return (
        f"test loss {sum(losses) / len(losses):.3f}  cosine image {mean_cosine(image):.4f} "
        f"spectrum {mean_cosine(spectrum):.4f}  median rank {rank:.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--every", type=int, default=50)
    args = parser.parse_args()
    data = AstroCLIPDataModule(n_pairs=2000, seed=0)
    data.prepare_data()
    data.setup()
    train, test = data.pairs["train"], data.pairs["test"]
    train_images = preprocess_images(torch.from_numpy(train["images"]))
    train_spectra = torch.from_numpy(train["spectra"])
    test_images = preprocess_images(torch.from_numpy(test["images"]))
    test_spectra = torch.from_numpy(test["spectra"])
    print(f"ln 32 = {math.log(32):.3f}; chance median rank {(len(test_images) + 1) / 2}")
    for layer_scale in (1.0e-5, 0.0):
        torch.manual_seed(0)
        model = AstroCLIP(embed_dim=64, spectrum_depth=1, image_layer_scale=layer_scale)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1.0e-3, weight_decay=0.05)
        schedule = warmup_cosine(optimizer, 20, args.steps)
        generator = torch.Generator().manual_seed(0)
        print(f"LayerScale {layer_scale:g}: step 0  {evaluate(model, test_images, test_spectra)}")
        for step in range(1, args.steps + 1):
            rows = torch.randint(0, len(train_images), (32,), generator=generator)
            loss = clip_loss(*model(train_images[rows], train_spectra[rows]), 15.5)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            if step % args.every == 0:
                print(
                    f"LayerScale {layer_scale:g}: step {step}  {evaluate(model, test_images, test_spectra)}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
