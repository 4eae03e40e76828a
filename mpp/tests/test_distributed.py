"""Under DDP (two CPU processes), ranks train on disjoint windows, equally many batches each."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent / "scripts" / "ddp_fit.py"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_ddp_ranks_get_disjoint_windows_and_equal_batches(simulated_root, tmp_path):
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), str(simulated_root), str(tmp_path)],
        cwd=tmp_path,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    try:
        output, _ = process.communicate(timeout=540)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise AssertionError("the DDP run hung and was killed") from None
    assert process.returncode == 0, output[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert len(ranks[0]) == len(ranks[1]) == 5
    assert all(distinct == 1 for rank in ranks for _, _, distinct in rank)  # one dataset per batch
    assert [d for d, _, _ in ranks[0]] == [d for d, _, _ in ranks[1]]
    for dataset in (0, 1):
        seen = [{i for d, idx, _ in rank if d == dataset for i in idx} for rank in ranks]
        assert not seen[0] & seen[1]
