"""The labelling app end to end in a real headless Chromium, and its command line."""

import os
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest
from werkzeug.serving import make_server

from polymath.pirounet.data.formats import scale_pirounet
from polymath.pirounet.data.simulate import simulate_dancer
from polymath.pirounet.labelling.app import Blind, Timeline, build_app

PLOT = "#dance .js-plotly-plot"


@pytest.fixture
def serve():
    """Serves a Dash app on a free loopback port in a daemon thread; yields its URL."""
    servers = []

    def start(app) -> str:
        server = make_server("127.0.0.1", 0, app.server, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/"

    yield start
    for server in servers:
        server.shutdown()


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )  # fmt: skip
        yield browser
        browser.close()


def _first_x(page) -> str:
    return page.evaluate(f"() => JSON.stringify(document.querySelector('{PLOT}').data[0].x)")


def _label(page, time: str, space: str) -> None:
    page.fill("#time", time)
    page.fill("#space", space)
    page.click("#save")


def test_play_label_save_and_read_back_in_a_real_browser(browser, serve, tmp_path):
    dance = simulate_dancer(sessions=1, seconds=6.0, seed=0)
    labels = tmp_path / "labels.csv"
    url = serve(build_app(Timeline(scale_pirounet(dance.poses), 40), labels))
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    page.goto(url)
    page.wait_for_selector(f"{PLOT} .updatemenu-button")
    still = _first_x(page)
    page.get_by_text("Play", exact=True).click()  # the window plays: the drawn pose changes
    page.wait_for_function(f"s => JSON.stringify(document.querySelector('{PLOT}').data[0].x) !== s",
                           arg=still, timeout=10_000)  # fmt: skip
    page.get_by_text("Pause", exact=True).click()

    _label(page, "3", "2")
    page.wait_for_selector("text=Saved 0,2,3")
    page.click("#next")
    page.wait_for_function(  # the next window is drawn
        f"() => document.querySelector('{PLOT}').layout.title.text === 'frames 40-79'"
    )
    _label(page, "4", "1")
    page.wait_for_selector("text=Saved 40,1,4")

    _label(page, "7", "1")  # out of range: named in the page, nothing written
    page.wait_for_selector("text=Not saved: Time effort must be 1, 2, 3 or 4 (N/A), got 7")
    shot = Path(os.environ.get("PIROUNET_ARTIFACTS", tmp_path)) / "labelling.png"
    page.screenshot(path=str(shot))  # kept where PIROUNET_ARTIFACTS points, if set
    assert shot.stat().st_size > 10_000
    assert labels.read_text().splitlines() == ["start,space,time", "0,2,3", "40,1,4"]


def test_two_tabs_saving_at_once_both_land(browser, serve, tmp_path):
    dance = simulate_dancer(sessions=1, seconds=6.0, seed=1)
    labels = tmp_path / "labels.csv"
    url = serve(build_app(Timeline(scale_pirounet(dance.poses), 40), labels))
    tabs = [browser.new_page(), browser.new_page()]
    for tab, item in zip(tabs, ("80", "120")):
        tab.goto(url)
        tab.wait_for_selector(f"{PLOT} .updatemenu-button")
        tab.fill("#item", item)
        tab.fill("#time", "1")
        tab.fill("#space", "3")
    for tab in tabs:
        tab.click("#save", no_wait_after=True)
    tabs[0].wait_for_selector("text=Saved 80,3,1")
    tabs[1].wait_for_selector("text=Saved 120,3,1")
    assert sorted(labels.read_text().splitlines()[1:]) == ["120,3,1", "80,3,1"]


def test_blind_mode_saves_the_sequence_index_in_a_shuffled_order(browser, serve, tmp_path):
    sequences = np.random.default_rng(0).normal(0, 0.3, (5, 40, 53, 3))
    source = Blind.shuffled(sequences, seed=3)
    labels = tmp_path / "blind.csv"
    page = browser.new_page()
    page.goto(serve(build_app(source, labels)))
    page.wait_for_selector("text=sequence 1 of 5 (blind)")
    _label(page, "2", "4")
    page.wait_for_selector(f"text=Saved {source.order[0]},4,2")
    page.fill("#item", "9")  # past the last sequence: named in the page
    page.wait_for_selector("text=item must be a whole number from 0 to 4, got 9")


def test_the_command_line_names_a_missing_or_malformed_file(tmp_path):
    def label(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["polymath-pirounet", "label", *args, "--labels", str(tmp_path / "l.csv")],
                              capture_output=True, text=True, timeout=120)  # fmt: skip

    missing = label("--data", str(tmp_path / "nope.npy"))
    assert missing.returncode == 2 and "nope.npy: file not found" in missing.stderr
    np.save(tmp_path / "bad.npy", np.zeros((50, 100, 3)))
    wrong = label("--data", str(tmp_path / "bad.npy"), "--trim", "0")
    assert (
        wrong.returncode == 2 and "50 markers" in wrong.stderr and "Traceback" not in wrong.stderr
    )
    np.save(tmp_path / "gen.npy", np.zeros((4, 40, 100)))
    blind = label("--data", str(tmp_path / "gen.npy"), "--blind")
    assert blind.returncode == 2 and "expected (n, frames, 159)" in blind.stderr


def test_the_command_serves_the_app_on_loopback(tmp_path):
    import socket
    import time
    import urllib.request

    dance = simulate_dancer(sessions=1, seconds=3.0, seed=0)
    np.save(tmp_path / "s.npy", dance.poses.transpose(1, 0, 2))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        ["polymath-pirounet", "label", "--data", str(tmp_path / "s.npy"), "--trim", "0",
         "--labels", str(tmp_path / "l.csv"), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline, page = time.monotonic() + 120, ""
        while not page and time.monotonic() < deadline and server.poll() is None:
            try:
                page = (
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read().decode()
                )
            except OSError:
                time.sleep(0.5)
        assert "PirouNet labelling" in page, (
            server.stdout.read() if server.poll() is not None else ""
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
