import numpy as np

from polymath.astroclip.data.simulate import (
    _LINES,
    DESI_WAVELENGTH,
    Templates,
    _emission,
    sample_parameters,
    simulate,
    simulate_pair,
)


def test_the_desi_grid():
    assert len(DESI_WAVELENGTH) == 7781
    assert DESI_WAVELENGTH[0] == 3600.0 and np.isclose(DESI_WAVELENGTH[-1], 9824.0)


def test_emission_lines_sit_at_one_plus_z_times_their_rest_wavelength():
    z = 0.137
    line = _emission({"Ha": 100.0}, z, 80.0, DESI_WAVELENGTH)
    assert abs(DESI_WAVELENGTH[line.argmax()] - (1 + z) * _LINES["Ha"]) < 0.8
    assert np.isclose(line.sum() * 0.8, 100.0 / (1 + z), rtol=1e-3)  # flux conserved


def test_a_star_forming_galaxy_shows_its_lines_in_the_spectrum():
    rng = np.random.default_rng(3)
    parameters = {k: float(v[0]) for k, v in sample_parameters(1, rng).items()}
    parameters.update(redshift=0.2, log_ssfr=-9.5, log_mass=10.8)
    image, spectrum = simulate_pair(parameters, Templates.load(), rng)
    assert image.shape == (152, 152, 3) and spectrum.shape == (7781,)
    for name in ("Ha", "OIII_5008"):
        at = np.abs(DESI_WAVELENGTH - 1.2 * _LINES[name]).argmin()
        assert spectrum[at - 3 : at + 4].max() > np.median(spectrum[at - 200 : at + 200]) + 5


def test_simulate_is_seeded_and_returns_the_official_shapes():
    first, again = simulate(3, seed=7), simulate(3, seed=7)
    assert first["images"].shape == (3, 152, 152, 3) and first["spectra"].shape == (3, 7781, 1)
    assert np.array_equal(first["spectra"], again["spectra"])
    assert np.array_equal(first["redshifts"], first["catalogue"]["redshift"])
