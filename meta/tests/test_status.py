from polymath_meta import status
from polymath_meta.cli import main


def test_status_counts_commits_since_the_last_tag_and_lists_fragments(federation):
    federation.tag("polymath-alpha-v0.1.0")
    federation.write("alpha/src/polymath/alpha/model.py", "X = 1\n")
    federation.commit("alpha model")
    federation.write("alpha/src/polymath/alpha/model.py", "X = 2\n")
    federation.commit("alpha model again")
    federation.write("alpha/changes/model.added.md", "A model.\n")

    rows = {row[0]: row for row in status.rows(federation.workspace)}

    assert rows["alpha"] == (
        "alpha",
        "0.1.0",
        "<0.2,>=0.1.0",
        "polymath-alpha-v0.1.0",
        "2",
        "model.added.md",
    )
    assert rows["beta"] == ("beta", "0.1.0", "<0.2,>=0.1.0", "(none)", "1", "-")
    assert rows["foundation"][2] == "-"


def test_status_prints_a_table(federation, capsys):
    assert main(["--root", str(federation.root), "status"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == [
        "package",
        "version",
        "foundation",
        "range",
        "last",
        "tag",
        "commits",
        "since",
        "fragments",
    ]
    assert [line.split()[0] for line in out[1:]] == ["foundation", "alpha", "beta"]
