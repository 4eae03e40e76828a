"""The `meta` command: release coordination for the polymath federation."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from . import apicheck, bump, changed, changelog, checks, compat, git, new, release, split, status
from .build import build, clean_dist
from .verify import verify
from .versions import PARTS
from .workspace import MetaError, Workspace


def cmd_list(ws: Workspace, args: argparse.Namespace) -> int:
    for package in ws.packages:
        print(package.name)
    return 0


def cmd_status(ws: Workspace, args: argparse.Namespace) -> int:
    print(status.render(status.rows(ws)))
    return 0


def cmd_check(ws: Workspace, args: argparse.Namespace) -> int:
    poetry = None if args.no_poetry else checks.poetry_check
    problems = checks.problems(ws, ws.select(args.packages), poetry=poetry)
    if args.fragments_since:
        files = git.changed_files(ws.root, args.fragments_since)
        for package in changed.touched(ws, files):
            problems += changelog.fragments_since(package, args.fragments_since)
    for problem in problems:
        print(problem)
    if problems:
        print(f"meta check: {len(problems)} problems", file=sys.stderr)
        return 1
    print(f"meta check: ok ({len(ws.select(args.packages))} packages)")
    return 0


def cmd_changed(ws: Workspace, args: argparse.Namespace) -> int:
    for name in changed.suites(ws, git.changed_files(ws.root, args.base)):
        print(name)
    return 0


def cmd_bump(ws: Workspace, args: argparse.Namespace) -> int:
    lines = bump.bump(ws, args.package, args.part, args.widen_dependents, apicheck.breakages)
    print("\n".join(lines))
    return 0


def cmd_changelog(ws: Workspace, args: argparse.Namespace) -> int:
    print(bump.changelog_only(ws, args.package))
    return 0


def cmd_build(ws: Workspace, args: argparse.Namespace) -> int:
    dist = args.dist or clean_dist(ws)  # dist/ holds only this build: `twine upload dist/*` is safe
    for package in ws.select(args.packages):
        artifacts = build(ws, package, dist)
        print(f"{package.name}: {artifacts.sdist.name}, {artifacts.wheel.name}")
    return 0


def cmd_verify(ws: Workspace, args: argparse.Namespace) -> int:
    start, failed = time.perf_counter(), 0
    for package in ws.select(args.packages):
        try:
            print(f"{package.name}: ok ({verify(ws, package, args.dist):.0f} s)", flush=True)
        except MetaError as error:
            failed += 1
            print(f"{package.name}: FAILED: {error}", flush=True)
    print(f"verify-wheels: {failed} failed, {time.perf_counter() - start:.0f} s in all")
    return 1 if failed else 0


def cmd_compat(ws: Workspace, args: argparse.Namespace) -> int:
    start = time.perf_counter()
    rows, lowest = compat.compat(ws, ws.select(args.packages), minimum=args.minimum)
    output = args.output or ws.root / "meta" / "COMPATIBILITY.md"
    compat.write(output, rows, lowest)
    print(f"wrote {output} ({time.perf_counter() - start:.0f} s)")
    return 1 if any(r.result.startswith("fail") for r in rows) else 0


def cmd_api_check(ws: Workspace, args: argparse.Namespace) -> int:
    passed = True
    for package in ws.select(args.packages or [ws.foundation.name]):
        ok, lines = apicheck.api_check(ws, package)
        print("\n".join(lines))
        passed = passed and ok
    return 0 if passed else 1


def cmd_release(ws: Workspace, args: argparse.Namespace) -> int:
    tag = release.release(ws, args.package)
    print(f"tagged {tag} (not pushed: git push origin {tag}; dist/ holds what to publish)")
    return 0


def cmd_new(ws: Workspace, args: argparse.Namespace) -> int:
    folder = new.scaffold(ws, args.name, args.summary)
    print(f"created {folder.relative_to(ws.root)}/; next: pip install -e './{args.name}[test]'")
    return 0


def cmd_split(ws: Workspace, args: argparse.Namespace) -> int:
    head = split.split(ws, args.package, args.dest.resolve())
    print(f"{args.dest}: standalone repository of {args.package} at {head[:12]}")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="meta", description=__doc__)
    top.add_argument("--root", type=Path, help="repository root (default: the git top level)")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler, help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(handler=handler)
        return command

    add("list", cmd_list, "package folders, foundation first")
    add("status", cmd_status, "versions, ranges, last tags, commits since and pending fragments")
    check = add("check", cmd_check, "ranges, versions, sibling imports, poetry check, changelogs")
    check.add_argument("packages", nargs="*", metavar="PACKAGE")
    check.add_argument("--no-poetry", action="store_true", help="skip `poetry check`")
    check.add_argument(
        "--fragments-since",
        metavar="REF",
        help="also: each package changed since REF adds a fragment",
    )
    changed_cmd = add(
        "changed",
        cmd_changed,
        "suites to run for the changes since REF: packages, dependents, meta",
    )
    changed_cmd.add_argument("--base", required=True, metavar="REF")
    bump_cmd = add("bump", cmd_bump, "new version and CHANGELOG section from changes/")
    bump_cmd.add_argument("package", metavar="PACKAGE")
    bump_cmd.add_argument("part", choices=PARTS)
    bump_cmd.add_argument(
        "--widen-dependents", action="store_true", help="widen dependents' ranges to admit it"
    )
    changelog_cmd = add(
        "changelog", cmd_changelog, "CHANGELOG section of the current version (set by hand)"
    )
    changelog_cmd.add_argument("package", metavar="PACKAGE")
    build_cmd = add("build", cmd_build, "sdist and wheel per package into dist/")
    verify_cmd = add("verify-wheels", cmd_verify, "each wheel alone in a fresh venv: import, smoke")
    for command in (build_cmd, verify_cmd):
        command.add_argument("packages", nargs="*", metavar="PACKAGE")
        command.add_argument("--dist", type=Path, help="artifact folder (default: ROOT/dist)")
    compat_cmd = add("compat", cmd_compat, "tests in fresh venvs against oldest/newest foundation")
    compat_cmd.add_argument("packages", nargs="*", metavar="PACKAGE")
    compat_cmd.add_argument("--output", type=Path, help="default: ROOT/meta/COMPATIBILITY.md")
    compat_cmd.add_argument(
        "--minimum", action="store_true", help="also pin third-party dependencies to their floors"
    )
    api = add("api-check", cmd_api_check, "public API against the last release (griffe)")
    api.add_argument("packages", nargs="*", metavar="PACKAGE", help="default: foundation")
    release_cmd = add("release", cmd_release, "every gate, then the tag (no push)")
    release_cmd.add_argument("package", metavar="PACKAGE")
    new_cmd = add("new", cmd_new, "a new package folder with the federation's anatomy")
    new_cmd.add_argument("name", metavar="NAME", help="folder name, e.g. xval or cwola-streams")
    new_cmd.add_argument(
        "--summary", default="(the paper in one line)", help="one-line description"
    )
    split_cmd = add("split", cmd_split, "one package as a standalone git repository")
    split_cmd.add_argument("package", metavar="PACKAGE")
    split_cmd.add_argument("dest", type=Path, metavar="DEST")
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.handler(Workspace.load(args.root), args)
    except MetaError as error:
        print(f"meta: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
