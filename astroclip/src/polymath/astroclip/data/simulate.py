"""A paired galaxy simulator: g,r,z cutouts (GalSim) and DESI-grid spectra from shared parameters.

Every galaxy is drawn from one set of physical parameters (redshift, stellar mass, specific star
formation rate, gas metallicity, bulge fraction, size, ellipticity). Its spectral energy
distribution is a bulge (CWW elliptical template) plus a disk (a mix of the CWW Sbc and Im
templates set by the sSFR) plus nebular emission lines whose strengths follow the SFR and the
metallicity. The same SED gives the spectrum and, through the DECam g,r,z filter curves, the band
fluxes of the bulge and disk profiles that GalSim convolves with a Moffat PSF. So both modalities
carry the redshift and the properties, as the real DESI x Legacy Survey pairs do.

Units, as in the real data: images in nanomaggies per pixel (0.262 arcsec pixels, the Legacy
Survey's), spectra in 1e-17 erg s^-1 cm^-2 A^-1 on DESI's vacuum wavelength grid.

Simplifications, stated so nobody mistakes them for physics: no K-correction in the luminosity
(the template shape carries the colours), no dust, a flat LCDM (H0 70, Om 0.3), a fibre that
collects the r-band light within 0.75 arcsec of the centre, Gaussian noise in both modalities.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

DESI_WAVELENGTH = 3600.0 + 0.8 * np.arange(7781)
"""DESI's coadded wavelength grid in vacuum Angstrom: 3600-9824 in 0.8 A steps."""
IMAGE_SIZE = 152
PIXEL_SCALE = 0.262  # arcsec per pixel, Legacy Survey
BANDS = ("g", "r", "z")
SKY_NOISE = (0.007, 0.011, 0.027)
"""Per-pixel noise in nanomaggies, from 5-sigma point-source depths of about 24.0, 23.5, 22.5."""
SPECTRUM_NOISE = 0.8  # 1e-17 erg/s/cm2/A per pixel, rising towards the blue end
FIBRE_RADIUS = 0.75  # arcsec
PROPERTIES = ("log_mass", "log_ssfr", "log_metallicity", "log_size_kpc")
"""The physical properties evaluated besides the redshift (the paper's table averages four)."""

# rest-frame vacuum wavelengths (A) of the emission lines and their strengths relative to H-alpha
_LINES = {
    "OII_3727": 3727.09,
    "OII_3730": 3729.88,
    "Hb": 4862.68,
    "OIII_4960": 4960.30,
    "OIII_5008": 5008.24,
    "NII_6550": 6549.86,
    "Ha": 6564.61,
    "NII_6585": 6585.27,
    "SII_6718": 6718.29,
    "SII_6733": 6732.67,
}
_C_ANGSTROM = 2.998e18  # speed of light, A/s
_C_KMS = 2.998e5


@dataclass(frozen=True)
class Templates:
    """Rest-frame CWW templates (shipped with GalSim) and the DECam g,r,z filters (speclite)."""

    wavelength: np.ndarray
    elliptical: np.ndarray
    sbc: np.ndarray
    irregular: np.ndarray
    filter_wavelength: np.ndarray
    filters: np.ndarray  # (3, len(filter_wavelength)) throughputs

    @classmethod
    def load(cls) -> Templates:
        import galsim
        import speclite.filters

        folder = Path(galsim.meta_data.share_dir) / "SEDs"
        wavelength = np.arange(900.0, 12000.0, 1.0)

        def template(name: str) -> np.ndarray:
            w, f = np.loadtxt(folder / f"CWW_{name}_ext.sed", unpack=True)
            flux = np.interp(wavelength, w, f)
            return flux / flux[(wavelength > 5450) & (wavelength < 5550)].mean()

        curves = speclite.filters.load_filters(*(f"decam2014-{b}" for b in BANDS))
        filter_wavelength = np.arange(3300.0, 11000.0, 2.0)
        filters = np.stack([c(filter_wavelength) for c in curves])
        return cls(
            wavelength, template("E"), template("Sbc"), template("Im"), filter_wavelength, filters
        )


def luminosity_distance_mpc(redshift: np.ndarray) -> np.ndarray:
    """Flat LCDM, H0 = 70 km/s/Mpc, Om = 0.3."""
    grid = np.linspace(0.0, 1.5, 3001)
    inverse_e = 1.0 / np.sqrt(0.3 * (1 + grid) ** 3 + 0.7)
    comoving = np.concatenate(
        [[0.0], np.cumsum((inverse_e[1:] + inverse_e[:-1]) / 2 * np.diff(grid))]
    )
    return (1 + redshift) * _C_KMS / 70.0 * np.interp(redshift, grid, comoving)


def sample_parameters(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Physical parameters with the correlations of a bright (BGS-like) galaxy sample."""
    log_mass = np.clip(rng.normal(10.4, 0.5, n), 9.0, 12.0)
    quiescent = rng.random(n) < 1 / (1 + np.exp(-(log_mass - 10.6) / 0.25))
    log_ssfr = np.where(
        quiescent, rng.normal(-11.8, 0.3, n), rng.normal(-10.0 - 0.3 * (log_mass - 10.0), 0.25, n)
    )
    return {
        "redshift": np.clip(rng.gamma(3.0, 0.06, n), 0.02, 0.6),
        "log_mass": log_mass,
        "log_ssfr": log_ssfr,
        "log_metallicity": 0.25 * (log_mass - 10.5) + rng.normal(0.0, 0.08, n),
        "log_size_kpc": 0.5 + 0.25 * (log_mass - 10.5) - 0.15 * quiescent + rng.normal(0, 0.12, n),
        "bulge_fraction": np.where(quiescent, rng.beta(6, 2, n), rng.beta(1.5, 5, n)),
        "ellipticity": 0.7 * rng.beta(2, 4, n),
        "position_angle": rng.uniform(0.0, np.pi, n),
        "psf_fwhm": rng.uniform(1.0, 1.6, n),  # arcsec in r; g is 10% wider, z 5% narrower
    }


def _rest_components(p: dict[str, float], t: Templates) -> tuple[np.ndarray, np.ndarray]:
    """Bulge and disk rest-frame continua, each normalised to 1 at 5500 A."""
    young = 1 / (1 + np.exp(-(p["log_ssfr"] + 10.3) / 0.3))
    return t.elliptical, (1 - young) * t.sbc + young * t.irregular


def _line_fluxes(p: dict[str, float], continuum_at_ha: float) -> dict[str, float]:
    """Rest-frame line fluxes from an H-alpha equivalent width set by the sSFR; the ratios
    [NII]/Ha up and [OIII]/Hb, [OII]/Ha down with metallicity (no dust, case B Ha/Hb = 2.86)."""
    equivalent_width = min(300.0, 60.0 * 10 ** (p["log_ssfr"] + 10.0))
    ha = equivalent_width * continuum_at_ha
    z = p["log_metallicity"]
    hb = ha / 2.86
    n2 = ha * 10 ** (-0.45 + 1.2 * z)
    o3 = hb * 10 ** (-0.1 - 1.5 * z)
    o2 = ha * 10 ** (-0.05 - 0.8 * z)
    return {
        "Ha": ha,
        "Hb": hb,
        "NII_6585": n2,
        "NII_6550": n2 / 3.0,
        "OIII_5008": o3,
        "OIII_4960": o3 / 2.98,
        "OII_3727": 0.45 * o2,
        "OII_3730": 0.55 * o2,
        "SII_6718": 0.17 * ha,
        "SII_6733": 0.13 * ha,
    }


def _observed(rest: np.ndarray, t: Templates, z: float, grid: np.ndarray) -> np.ndarray:
    return np.interp(grid / (1 + z), t.wavelength, rest)


def _emission(lines: dict[str, float], z: float, sigma_kms: float, grid: np.ndarray) -> np.ndarray:
    """Gaussian lines at (1 + z) * lambda_rest, flux conserved (observed flux density / (1+z))."""
    spectrum = np.zeros_like(grid)
    for name, flux in lines.items():
        centre = (1 + z) * _LINES[name]
        sigma = centre * sigma_kms / _C_KMS
        near = np.abs(grid - centre) < 6 * sigma
        spectrum[near] += (
            flux
            / (1 + z)
            / (np.sqrt(2 * np.pi) * sigma)
            * np.exp(-0.5 * ((grid[near] - centre) / sigma) ** 2)
        )
    return spectrum


def _nanomaggies(f_lambda: np.ndarray, t: Templates) -> np.ndarray:
    """AB band fluxes in nanomaggies of a spectrum in erg/s/cm2/A sampled on the filter grid."""
    w = t.filter_wavelength
    f_nu = (t.filters * f_lambda * w).sum(1) / (t.filters * _C_ANGSTROM / w).sum(1)
    return f_nu / 3631e-23 * 1e9


def simulate_pair(
    p: dict[str, float], t: Templates, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """One galaxy: an image (152, 152, 3) in nanomaggies and a spectrum (7781,) in 1e-17 cgs."""
    import galsim

    z = p["redshift"]
    bulge_rest, disk_rest = _rest_components(p, t)
    bt = p["bulge_fraction"]
    absolute_r = -20.8 - 2.5 * (p["log_mass"] - 10.5) + 0.4 * bt
    apparent_r = absolute_r + 5 * np.log10(luminosity_distance_mpc(np.array(z)) * 1e5)
    ha_index = np.searchsorted(t.wavelength, _LINES["Ha"])
    continuum_ha = bt * bulge_rest[ha_index] + (1 - bt) * disk_rest[ha_index]
    lines = _line_fluxes(p, continuum_ha)
    sigma_kms = max(50.0, 80.0 + 40.0 * (p["log_mass"] - 10.0))

    def observed(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        bulge = bt * _observed(bulge_rest, t, z, grid)
        disk = (1 - bt) * _observed(disk_rest, t, z, grid) + _emission(lines, z, sigma_kms, grid)
        return bulge, disk

    bulge_band, disk_band = observed(t.filter_wavelength)
    r_total = _nanomaggies(bulge_band + disk_band, t)[1]
    scale = 10 ** (-0.4 * (apparent_r - 22.5)) / r_total  # sets the total r flux
    bulge_flux, disk_flux = scale * _nanomaggies(bulge_band, t), scale * _nanomaggies(disk_band, t)

    arcsec_per_kpc = 206.265 * (1 + z) ** 2 / luminosity_distance_mpc(np.array(z))
    half_light = float(10 ** p["log_size_kpc"] * arcsec_per_kpc)
    shear = galsim.Shear(e=p["ellipticity"], beta=p["position_angle"] * galsim.radians)
    offset = rng.normal(0.0, 0.1, 2)
    image = np.empty((IMAGE_SIZE, IMAGE_SIZE, 3), np.float32)
    noiseless_r = None
    for band, widen in enumerate((1.1, 1.0, 0.95)):
        galaxy = (
            galsim.Add(
                [
                    galsim.DeVaucouleurs(half_light_radius=0.4 * half_light, flux=bulge_flux[band]),
                    galsim.Exponential(half_light_radius=half_light, flux=disk_flux[band]),
                ]
            )
            .shear(shear)
            .shift(*offset)
        )
        psf = galsim.Moffat(beta=3.5, fwhm=p["psf_fwhm"] * widen)
        drawn = (
            galsim.Convolve(galaxy, psf)
            .drawImage(nx=IMAGE_SIZE, ny=IMAGE_SIZE, scale=PIXEL_SCALE)
            .array
        )
        if band == 1:
            noiseless_r = drawn
        image[..., band] = drawn + rng.normal(0.0, SKY_NOISE[band], drawn.shape)

    y, x = np.indices(noiseless_r.shape) - (IMAGE_SIZE - 1) / 2
    in_fibre = np.hypot(x, y) * PIXEL_SCALE < FIBRE_RADIUS
    fibre_fraction = noiseless_r[in_fibre].sum() / noiseless_r.sum()
    bulge, disk = observed(DESI_WAVELENGTH)
    spectrum = fibre_fraction * scale * (bulge + disk) * 1e17  # to 1e-17 erg/s/cm2/A
    noise = SPECTRUM_NOISE * (1 + 2 * np.exp(-(DESI_WAVELENGTH - 3600.0) / 250.0))
    spectrum = spectrum + rng.normal(0.0, 1.0, spectrum.shape) * noise
    return image, spectrum.astype(np.float32)


def simulate(n: int, seed: int = 0, progress: bool = False) -> dict[str, np.ndarray]:
    """``n`` seeded pairs: images (n,152,152,3), spectra (n,7781,1), redshifts, targetids, and
    the catalogue of true parameters (one array per name in ``sample_parameters``)."""
    rng = np.random.default_rng(seed)
    templates = Templates.load()
    parameters = sample_parameters(n, rng)
    images = np.empty((n, IMAGE_SIZE, IMAGE_SIZE, 3), np.float32)
    spectra = np.empty((n, len(DESI_WAVELENGTH), 1), np.float32)
    indices = range(n)
    if progress:
        from tqdm.auto import tqdm

        indices = tqdm(indices, desc="simulating galaxies", unit="pair")
    for i in indices:
        images[i], spectra[i, :, 0] = simulate_pair(
            {k: float(v[i]) for k, v in parameters.items()}, templates, rng
        )
    targetids = seed * 10_000_000 + np.arange(n, dtype=np.int64)
    return {
        "images": images,
        "spectra": spectra,
        "redshifts": parameters["redshift"].astype(np.float32),
        "targetids": targetids,
        "catalogue": {k: v.astype(np.float32) for k, v in parameters.items()},
    }
