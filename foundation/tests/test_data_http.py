"""Streaming shards over HTTP from `python -m http.server` on 127.0.0.1."""

import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from data_helpers import change_a_value, labels_of, set_folder, write_vector_shards

from polymath.foundation.data import CorruptShardError, ShardChecksumError, shard_dataset


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    """(shard folder, base URL) with an HTTP server running in the folder."""
    write_vector_shards(tmp_path, count=16, per_shard=4)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{base}/manifest.json", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
        yield tmp_path, base
    finally:
        server.kill()
        server.wait()


def test_manifest_url_streams_the_set_with_its_length(served):
    _, base = served
    for source in (f"{base}/manifest.json", f"{base}/"):
        dataset = shard_dataset(source, shuffle=5)
        assert len(dataset) == 16
        assert sorted(labels_of(dataset)) == list(range(16))


def test_brace_pattern_over_http(served):
    folder, base = served
    dataset = shard_dataset(f"{base}/{set_folder(folder).name}/shard-{{000001..000002}}.tar")
    assert sorted(labels_of(dataset)) == list(range(4, 12))


def test_checksum_is_checked_while_streaming(served):
    folder, base = served
    change_a_value(set_folder(folder) / "shard-000003.tar")
    with pytest.raises(ShardChecksumError, match=r"shard-000003.tar: streamed sha256"):
        list(shard_dataset(f"{base}/manifest.json"))


def test_missing_shard_on_the_server_is_named(served):
    folder, base = served
    (set_folder(folder) / "shard-000002.tar").unlink()
    with pytest.raises(CorruptShardError, match="shard-000002.tar"):
        list(shard_dataset(f"{base}/manifest.json"))


def test_missing_manifest_url_is_named(served):
    _, base = served
    with pytest.raises(FileNotFoundError, match=f"no shard manifest at {base}/other/manifest.json"):
        shard_dataset(f"{base}/other/")
