"""A Gaia-like patch: a smooth disk + halo background and a gala mock stream, with DR3-like errors.

No package makes a mock Gaia catalogue offline, so the background is drawn here from analytic
densities (exponential thin and thick disks, a power-law halo) with Gaussian velocity ellipsoids
and a toy colour–magnitude relation per population. The stream is a Fardal et al. (2015) particle
spray from gala in ``MilkyWayPotential(version="v2")``, GD-1-like by default (≈8 kpc, μ ≈ 13 mas/yr,
old and metal-poor). Everything goes Galactocentric → ICRS → the patch's ``SkyOffsetFrame``, gets
pygaia's Gaia DR3 errors, and is cut at G < ``g_max``.
"""

from __future__ import annotations

from dataclasses import dataclass

import astropy.coordinates as coord
import astropy.units as u
import numpy as np

from polymath.cwola_streams.data.formats import COLUMNS, Patch

R_SUN_KPC = 8.122
Z_SUN_KPC = 0.0208


def galactocentric_frame() -> coord.Galactocentric:
    """Solar position and motion written out, since astropy's defaults change between versions."""
    return coord.Galactocentric(
        galcen_distance=R_SUN_KPC * u.kpc,
        z_sun=Z_SUN_KPC * 1000 * u.pc,
        galcen_v_sun=coord.CartesianDifferential([12.9, 245.6, 7.78] * u.km / u.s),
        roll=0 * u.deg,
    )


@dataclass(frozen=True)
class Population:
    """A density law, a velocity ellipsoid and a toy colour–magnitude relation."""

    name: str
    local_density: float  # relative to the thin disk at the Sun
    scale_length: float  # kpc (disks) or power-law slope (halo)
    scale_height: float  # kpc; 0 for the halo
    v_rot: float  # km/s, mean rotation
    sigma: tuple[float, float, float]  # km/s in (R, φ, z)
    color_shift: float  # BP−RP offset of the main sequence from solar metallicity
    turnoff: float  # brightest main-sequence M_G
    giant_fraction: float

    def density(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        if self.scale_height == 0:
            r = np.sqrt(x**2 + y**2 + z**2 + 1.0)
            r_sun = np.sqrt(R_SUN_KPC**2 + 1.0)
            return self.local_density * (r / r_sun) ** (-self.scale_length)
        radius = np.hypot(x, y)
        return self.local_density * np.exp(
            -(radius - R_SUN_KPC) / self.scale_length - np.abs(z) / self.scale_height
        )


POPULATIONS = (
    Population("thin disk", 1.0, 2.6, 0.3, 225.0, (35.0, 25.0, 18.0), 0.0, 3.5, 0.04),
    Population("thick disk", 0.12, 3.6, 0.9, 185.0, (65.0, 50.0, 45.0), -0.08, 3.8, 0.04),
    Population("halo", 0.005, 3.5, 0.0, 0.0, (150.0, 100.0, 100.0), -0.18, 4.0, 0.03),
)


def main_sequence_color(abs_mag: np.ndarray, shift: float) -> np.ndarray:
    """BP−RP of a main-sequence star of absolute magnitude M_G (toy: the Sun at 0.82, 4.67)."""
    return 0.82 + shift + (abs_mag - 4.67) / 3.2


def _exp_lf_cdf(m: np.ndarray, bright: float, faint: float) -> np.ndarray:
    """P(M < m) for M with density ∝ exp(0.3 M) on [bright, faint] (faint dwarfs outnumber bright)."""
    lo, hi = np.exp(0.3 * bright), np.exp(0.3 * faint)
    return np.clip((np.exp(0.3 * np.clip(m, bright, faint)) - lo) / (hi - lo), 0.0, 1.0)


def _exp_lf_sample(rng: np.random.Generator, bright: float, faint: np.ndarray) -> np.ndarray:
    """M with density ∝ exp(0.3 M) on [bright, faint], faint given per star."""
    lo, hi = np.exp(0.3 * bright), np.exp(0.3 * faint)
    return np.log(lo + rng.random(np.shape(faint)) * (hi - lo)) / 0.3


GIANTS = (-0.5, 2.5)  # M_G range of the red giants, uniform
FAINTEST = 10.0


def visible_fraction(population: Population, m_limit: np.ndarray) -> np.ndarray:
    """The fraction of a population's stars with M_G < m_limit."""
    giants = np.clip((m_limit - GIANTS[0]) / (GIANTS[1] - GIANTS[0]), 0.0, 1.0)
    dwarfs = _exp_lf_cdf(m_limit, population.turnoff, FAINTEST)
    return population.giant_fraction * giants + (1 - population.giant_fraction) * dwarfs


def population_photometry(
    rng: np.random.Generator, population: Population, m_limit: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(M_G, BP−RP) for stars known to have M_G < m_limit: main sequence or a few red giants."""
    giant_share = population.giant_fraction * np.clip(
        (m_limit - GIANTS[0]) / (GIANTS[1] - GIANTS[0]), 0.0, 1.0
    )
    giants = rng.random(len(m_limit)) * visible_fraction(population, m_limit) < giant_share
    abs_mag = _exp_lf_sample(
        rng, population.turnoff, np.clip(m_limit, population.turnoff, FAINTEST)
    )
    color = main_sequence_color(abs_mag, population.color_shift)
    top = np.minimum(m_limit[giants], GIANTS[1])
    abs_mag[giants] = GIANTS[0] + rng.random(giants.sum()) * (top - GIANTS[0])
    color[giants] = 1.15 + population.color_shift + 0.1 * rng.standard_normal(giants.sum())
    return abs_mag, color + 0.04 * rng.standard_normal(len(m_limit))


def stream_photometry(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(M_G, BP−RP) along an old metal-poor ([Fe/H] ≈ −1.6) toy isochrone: MS, subgiants, RGB."""
    abs_mag = _exp_lf_sample(rng, -1.5, np.full(n, 9.0))
    color = np.where(
        abs_mag >= 3.9,
        0.58 + (abs_mag - 3.9) / 3.4,
        np.where(abs_mag >= 2.8, 0.58 + (3.9 - abs_mag) * 0.25, 0.86 + (2.8 - abs_mag) * 0.09),
    )
    return abs_mag, color + 0.02 * rng.standard_normal(n)


def sample_cone(
    rng: np.random.Generator, n: int, center: coord.SkyCoord, radius_deg: float
) -> coord.SkyCoord:
    """n directions uniform on the sphere within ``radius_deg`` of ``center`` (ICRS)."""
    cos_rho = rng.uniform(np.cos(np.radians(radius_deg)), 1.0, n)
    rho = np.arccos(cos_rho)
    azimuth = rng.uniform(0, 2 * np.pi, n)
    lat = np.arcsin(np.sin(rho) * np.sin(azimuth))
    lon = np.arctan2(np.sin(rho) * np.cos(azimuth), np.cos(rho))
    offset = coord.SkyCoord(lon=lon * u.rad, lat=lat * u.rad, frame=center.skyoffset_frame())
    return offset.transform_to(coord.ICRS())


LOG_DISTANCE = np.linspace(np.log(0.05), np.log(80.0), 72)  # kpc grid for the line of sight
CHUNK = 20_000


def _profiles(along: np.ndarray, g_max: float) -> np.ndarray:
    """Visible stars per log-distance bin: (directions, populations, bins), ∝ ρ d³ × P(G < g_max)."""
    sun = np.array([-R_SUN_KPC, 0.0, Z_SUN_KPC])
    d = np.exp(LOG_DISTANCE)
    m_limit = g_max - 5 * np.log10(d * 100.0)
    xyz = np.moveaxis(sun + along[:, None, :] * d[None, :, None], -1, 0)
    return np.stack(
        [p.density(*xyz) * (d**3 * visible_fraction(p, m_limit)) for p in POPULATIONS], axis=1
    )


def _sample_positions(
    rng: np.random.Generator, n: int, center: coord.SkyCoord, radius_deg: float, g_max: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Galactocentric positions (n, 3), population index and distance of n stars with G < g_max.

    (direction, population) is drawn ∝ the number of visible stars along it from a pool of random
    directions, then the distance from that line of sight's profile on a log-distance grid.
    Everything runs in chunks so that memory stays flat for millions of stars.
    """
    pool = 2 * n
    directions = sample_cone(rng, pool, center, radius_deg)
    unit = coord.SkyCoord(directions, distance=np.ones(pool) * u.kpc)
    unit = unit.transform_to(galactocentric_frame())
    sun = np.array([-R_SUN_KPC, 0.0, Z_SUN_KPC])
    along = np.stack([unit.x.value, unit.y.value, unit.z.value], axis=1) - sun
    columns = np.concatenate(
        [_profiles(along[i : i + CHUNK], g_max).sum(-1) for i in range(0, pool, CHUNK)]
    ).reshape(-1)
    chosen = rng.choice(columns.size, size=n, replace=False, p=columns / columns.sum())
    direction, population = np.divmod(chosen, len(POPULATIONS))
    bins = np.empty(n, dtype=np.int64)
    for i in range(0, n, CHUNK):
        rows = _profiles(along[direction[i : i + CHUNK]], g_max)
        rows = rows[np.arange(len(rows)), population[i : i + CHUNK]]
        cdf = np.cumsum(rows, axis=1) / rows.sum(1, keepdims=True)
        bins[i : i + CHUNK] = (cdf < rng.random((len(rows), 1))).sum(1)
    distance = np.exp(LOG_DISTANCE[np.minimum(bins, len(LOG_DISTANCE) - 1)])
    return sun + along[direction] * distance[:, None], population, distance


def _disk_velocities(
    rng: np.random.Generator, position: np.ndarray, population: np.ndarray
) -> np.ndarray:
    """Galactocentric Cartesian velocities (km/s) from each population's cylindrical ellipsoid."""
    phi = np.arctan2(position[:, 1], position[:, 0])
    sigma = np.array([p.sigma for p in POPULATIONS])[population]
    v_rot = np.array([p.v_rot for p in POPULATIONS])[population]
    v_r, v_phi, v_z = (sigma * rng.standard_normal(sigma.shape)).T
    # The disk rotates clockwise seen from the north Galactic pole: -φ̂ is the direction of rotation.
    v_phi = -(v_rot + v_phi)
    vx = v_r * np.cos(phi) - v_phi * np.sin(phi)
    vy = v_r * np.sin(phi) + v_phi * np.cos(phi)
    return np.stack([vx, vy, v_z], axis=1)


def _icrs_table(galactic: coord.SkyCoord) -> np.ndarray:
    """(α, δ, μ_α*, μ_δ) of Galactocentric coordinates with velocities, as an array (n, 4)."""
    icrs = galactic.transform_to(coord.ICRS())
    return np.column_stack([icrs.ra.deg, icrs.dec.deg, icrs.pm_ra_cosdec.value, icrs.pm_dec.value])


def sample_background(
    rng: np.random.Generator, n: int, center: coord.SkyCoord, radius_deg: float, g_max: float
) -> np.ndarray:
    """n field stars brighter than ``g_max`` in the cone: an array (n, 6) of α, δ, μ_α*, μ_δ, G, BP−RP."""
    position, population, distance = _sample_positions(rng, n, center, radius_deg, g_max)
    mag, color = np.empty(n), np.empty(n)
    for index, pop in enumerate(POPULATIONS):
        mask = population == index
        m_limit = g_max - 5 * np.log10(distance[mask] * 100.0)
        abs_mag, color[mask] = population_photometry(rng, pop, m_limit)
        mag[mask] = abs_mag + 5 * np.log10(distance[mask] * 100.0)
    velocity = _disk_velocities(rng, position, population)
    galactic = coord.SkyCoord(
        x=position[:, 0] * u.kpc,
        y=position[:, 1] * u.kpc,
        z=position[:, 2] * u.kpc,
        v_x=velocity[:, 0] * u.km / u.s,
        v_y=velocity[:, 1] * u.km / u.s,
        v_z=velocity[:, 2] * u.km / u.s,
        frame=galactocentric_frame(),
    )
    return np.column_stack([_icrs_table(galactic), mag, color])


@dataclass(frozen=True)
class StreamModel:
    """A progenitor's present phase-space point in the GD-1 frame (Koposov et al. 2010) and its age.

    The defaults put a GD-1-like progenitor on GD-1's track (φ2 = 0) at the patch's φ1: about
    8 kpc away, moving at about 13 mas/yr along the track. They are approximate, not a fit.
    """

    distance_kpc: float = 8.0
    pm_phi1: float = -13.0  # mas/yr, μ_φ1 cos φ2
    pm_phi2: float = -3.0  # mas/yr
    radial_velocity: float = -100.0  # km/s
    mass_msun: float = 2.0e4
    age_myr: float = 1500.0
    step_myr: float = 1.0
    particles_per_step: int = 2

    def particles(self, center: coord.SkyCoord, seed: int) -> np.ndarray:
        """The stream's particles today: an array (n, 5) of α, δ, μ_α*, μ_δ, distance (kpc)."""
        import gala.coordinates as gc
        import gala.dynamics as gd
        import gala.potential as gp

        frame = galactocentric_frame()
        gd1 = center.transform_to(gc.GD1Koposov10())
        progenitor = coord.SkyCoord(
            phi1=gd1.phi1,
            phi2=0 * u.deg,
            distance=self.distance_kpc * u.kpc,
            pm_phi1_cosphi2=self.pm_phi1 * u.mas / u.yr,
            pm_phi2=self.pm_phi2 * u.mas / u.yr,
            radial_velocity=self.radial_velocity * u.km / u.s,
            frame=gc.GD1Koposov10(),
        )
        w0 = gd.PhaseSpacePosition(progenitor.transform_to(frame).data)
        df = gd.mockstream.FardalStreamDF(
            gala_modified=True, random_state=np.random.RandomState(seed)
        )
        generator = gd.mockstream.MockStreamGenerator(
            df, gp.Hamiltonian(gp.MilkyWayPotential(version="v2"))
        )
        stream, _ = generator.run(
            w0,
            self.mass_msun * u.Msun,
            dt=-self.step_myr * u.Myr,
            n_steps=int(self.age_myr / self.step_myr),
            n_particles=self.particles_per_step,
        )
        icrs = stream.to_coord_frame(coord.ICRS(), galactocentric_frame=frame)
        return np.column_stack(
            [
                icrs.ra.deg,
                icrs.dec.deg,
                icrs.pm_ra_cosdec.value,
                icrs.pm_dec.value,
                icrs.distance.to_value(u.kpc),
            ]
        )


class StreamTooWeakError(ValueError):
    """The mock stream has fewer visible stars in the patch than were asked for."""


def sample_stream(
    rng: np.random.Generator,
    n: int,
    particles: np.ndarray,
    center: coord.SkyCoord,
    radius_deg: float,
    g_max: float,
) -> np.ndarray:
    """n stream stars in the cone, brighter than ``g_max``: an array (n, 6) like the background's."""
    sky = coord.SkyCoord(ra=particles[:, 0] * u.deg, dec=particles[:, 1] * u.deg)
    inside = np.flatnonzero(sky.separation(center).deg < radius_deg)
    abs_mag, color = stream_photometry(rng, len(inside))
    mag = abs_mag + 5 * np.log10(particles[inside, 4] * 100.0)
    visible = mag < g_max
    if visible.sum() < n:
        raise StreamTooWeakError(
            f"the mock stream has {int(visible.sum())} stars with G < {g_max} in the patch, "
            f"fewer than the {n} asked for: ask for fewer or raise stream.particles_per_step"
        )
    chosen = rng.choice(np.flatnonzero(visible), size=n, replace=False)
    return np.column_stack([particles[inside[chosen], :4], mag[chosen], color[chosen]])


def add_gaia_errors(rng: np.random.Generator, stars: np.ndarray) -> np.ndarray:
    """Gaia DR3 proper-motion and photometric errors from pygaia, drawn as Gaussians."""
    from pygaia.errors.astrometric import proper_motion_uncertainty
    from pygaia.errors.photometric import magnitude_uncertainty

    out = stars.copy()
    mag = np.clip(stars[:, 4], 4.0, 21.0)
    sigma_pmra, sigma_pmdec = proper_motion_uncertainty(mag, release="dr3")
    out[:, 2] += rng.standard_normal(len(out)) * sigma_pmra / 1000.0
    out[:, 3] += rng.standard_normal(len(out)) * sigma_pmdec / 1000.0
    # G_BP and G_RP from G and BP−RP with G − G_RP ≈ 0.5 (BP−RP) + 0.1, a rough main-sequence fit.
    rp = np.clip(mag - 0.5 * stars[:, 5] - 0.1, 4.0, 21.0)
    bp = np.clip(rp + stars[:, 5], 4.0, 21.0)
    sigma_g = magnitude_uncertainty("g", mag, release="dr3") / 1000.0
    sigma_color = (
        np.hypot(
            magnitude_uncertainty("bp", bp, release="dr3"),
            magnitude_uncertainty("rp", rp, release="dr3"),
        )
        / 1000.0
    )
    out[:, 4] += rng.standard_normal(len(out)) * sigma_g
    out[:, 5] += rng.standard_normal(len(out)) * sigma_color
    return out


def to_patch_frame(stars: np.ndarray, center: coord.SkyCoord) -> np.ndarray:
    """Rows (α, δ, μ_α*, μ_δ, G, BP−RP) to the reference's 10 columns, in the patch-centred frame."""
    sky = coord.SkyCoord(
        ra=stars[:, 0] * u.deg,
        dec=stars[:, 1] * u.deg,
        pm_ra_cosdec=stars[:, 2] * u.mas / u.yr,
        pm_dec=stars[:, 3] * u.mas / u.yr,
    )
    patch = sky.transform_to(center.skyoffset_frame())
    columns = {
        "pmdec": stars[:, 3],
        "pmra": stars[:, 2],
        "dec": stars[:, 1],
        "ra": stars[:, 0],
        "color": stars[:, 5],
        "mag": stars[:, 4],
        "phi": patch.lon.wrap_at(180 * u.deg).deg,
        "lambda": patch.lat.deg,
        "pmphi": patch.pm_lon_coslat.to_value(u.mas / u.yr),
        "pmlambda": patch.pm_lat.to_value(u.mas / u.yr),
    }
    return np.column_stack([columns[name] for name in COLUMNS])


def simulate_patch(
    n_background: int = 50_000,
    n_stream: int = 300,
    center_ra: float = 156.2,
    center_dec: float = 57.5,
    radius_deg: float = 15.0,
    g_max: float = 20.2,
    seed: int = 0,
    stream: StreamModel | None = None,
    particles: np.ndarray | None = None,
) -> Patch:
    """A mock patch with stream flags; the default centre is the reference's mock patch (GD-1).

    ``particles`` reuses a stream already integrated by :meth:`StreamModel.particles` (several
    patches of one stream at different strengths); otherwise gala integrates one from ``seed``.
    """
    if n_background < 0 or n_stream < 0 or n_background + n_stream == 0:
        raise ValueError(f"a patch needs stars: n_background={n_background}, n_stream={n_stream}")
    rng = np.random.default_rng(seed)
    center = coord.SkyCoord(ra=center_ra * u.deg, dec=center_dec * u.deg)
    parts = (
        [sample_background(rng, n_background, center, radius_deg, g_max)] if n_background else []
    )
    if n_stream:
        if particles is None:
            particles = (stream or StreamModel()).particles(center, seed)
        parts.append(sample_stream(rng, n_stream, particles, center, radius_deg, g_max))
    stars = add_gaia_errors(rng, np.concatenate(parts))
    is_stream = np.arange(len(stars)) >= n_background
    visible = stars[:, 4] < g_max
    order = rng.permutation(np.flatnonzero(visible))
    return Patch(to_patch_frame(stars[order], center), is_stream[order])
