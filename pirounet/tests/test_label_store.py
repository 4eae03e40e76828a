"""The labels CSV the app writes: atomic, serialised saves that never lose a label."""

import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor

import pytest

from polymath.pirounet.data.formats import read_labels
from polymath.pirounet.labelling.store import LabelStore


def _save_many(path: str, first: int, count: int) -> None:
    store = LabelStore(path)
    for start in range(first, first + count):
        store.append(start, 1 + start % 3, 1 + (start // 3) % 4)


def test_saves_append_rows_the_training_loader_reads(tmp_path):
    store = LabelStore(tmp_path / "labels.csv")
    assert store.append(40, 2, 3) == "40,2,3"
    store.append(0, 4, 1)
    table = read_labels(tmp_path / "labels.csv")
    assert table.starts.tolist() == [0, 40] and table.time.tolist() == [0, 2]
    assert table.space.tolist() == [3, 1]  # 4 = N/A is 3 after the shift


def test_concurrent_saves_from_several_processes_all_land(tmp_path):
    path = str(tmp_path / "labels.csv")
    with ProcessPoolExecutor(4) as pool:
        list(pool.map(_save_many, [path] * 4, [0, 100, 200, 300], [25] * 4))
    lines = (tmp_path / "labels.csv").read_text().splitlines()
    assert lines[0] == "start,space,time" and len(lines) == 101
    assert sorted(int(line.split(",")[0]) for line in lines[1:]) == [
        s for first in (0, 100, 200, 300) for s in range(first, first + 25)
    ]


def test_a_crash_in_the_middle_of_a_save_leaves_the_earlier_labels(tmp_path):
    path = tmp_path / "labels.csv"
    LabelStore(path).append(0, 1, 2)
    before = path.read_text()
    crash = (  # the process dies after writing the temporary file, before the rename
        "import os; from polymath.pirounet.labelling import store;"
        "store.os.fsync = lambda fd: os._exit(9);"
        f"store.LabelStore({str(path)!r}).append(40, 3, 3)"
    )
    assert subprocess.run([sys.executable, "-c", crash], timeout=120).returncode == 9
    assert path.read_text() == before


def test_a_failed_rename_cleans_up_and_keeps_the_file(tmp_path, monkeypatch):
    path = tmp_path / "labels.csv"
    LabelStore(path).append(0, 1, 2)

    def refuse(*_):
        raise OSError("disk full")

    monkeypatch.setattr("polymath.pirounet.labelling.store.os.replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        LabelStore(path).append(40, 1, 1)
    assert path.read_text() == "start,space,time\n0,1,2\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels.csv", "labels.csv.lock"]


@pytest.mark.parametrize(
    ("space", "time", "message"),
    [(2, 5, "Time effort"), (0, 1, "Space effort"), (2, None, "Time effort"), (2, 1.5, "Time effort"),
     ("2", 1, "Space effort"), (True, 1, "Space effort")],
)  # fmt: skip
def test_bad_efforts_are_named_and_nothing_is_written(tmp_path, space, time, message):
    with pytest.raises(ValueError, match=message):
        LabelStore(tmp_path / "labels.csv").append(0, space, time)
    assert not (tmp_path / "labels.csv").exists()


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        LabelStore(tmp_path / "nowhere" / "labels.csv").append(0, 1, 1)
