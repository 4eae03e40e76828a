"""A hand-made patch where CWoLa has something to find: a blob of stars in the signal region."""

import numpy as np

from polymath.cwola_streams.data import Patch


def toy_patch(n_field: int = 6000, n_stream: int = 300, seed: int = 0) -> Patch:
    rng = np.random.default_rng(seed)
    n = n_field + n_stream
    stars = np.zeros((n, 10))
    stars[:, 0:4] = rng.normal(size=(n, 4))  # pmdec, pmra, dec, ra: unused by the classifier
    stars[:, 4] = rng.uniform(0.5, 1.0, n)  # colour
    stars[:, 5] = rng.uniform(15, 20, n)  # G
    stars[:, 6:8] = rng.uniform(-10, 10, (n, 2))  # ϕ, λ
    stars[:, 8] = rng.normal(0, 5, n)  # μ_ϕ*
    stars[:, 9] = rng.uniform(-1.5, 1.5, n)  # μ_λ: the scanned variable
    stream = np.arange(n) >= n_field
    stars[stream, 6:8] = rng.normal([3.0, -2.0], 0.4, (n_stream, 2))
    stars[stream, 8] = rng.normal(-6.0, 0.3, n_stream)
    stars[stream, 9] = rng.normal(0.0, 0.15, n_stream)
    return Patch(stars, stream)
