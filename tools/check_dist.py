"""List the sdist's and the wheel's contents and check them against what they must hold.

Run from the root of a git checkout after ``python -m build``::

    python tools/check_dist.py dist

The sdist must hold every file git tracks (the package, tests, docs, examples,
benchmarks, tools, LICENSE...; ``.gitignore`` aside) plus the metadata setuptools
writes, and nothing else. The wheel must hold the package's modules, the license
and its metadata, and nothing else (no tests, no docs). Both lists are printed; a
missing or an unexpected file is an error (exit status 1), so a file cannot go
missing from a release silently.
"""

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

PACKAGE = "sklearn_twolayer"
# Tracked files that are not for a source distribution.
NOT_IN_SDIST = {".gitignore"}
# What setuptools adds to an sdist, below its top folder.
SDIST_METADATA = {
    "PKG-INFO",
    "setup.cfg",
    f"{PACKAGE}.egg-info/PKG-INFO",
    f"{PACKAGE}.egg-info/SOURCES.txt",
    f"{PACKAGE}.egg-info/dependency_links.txt",
    f"{PACKAGE}.egg-info/entry_points.txt",
    f"{PACKAGE}.egg-info/requires.txt",
    f"{PACKAGE}.egg-info/top_level.txt",
}
# What a wheel holds besides the package, below its .dist-info folder.
WHEEL_METADATA = {
    "METADATA",
    "WHEEL",
    "RECORD",
    "entry_points.txt",
    "top_level.txt",
    "licenses/LICENSE",
}


def tracked_files(root):
    output = subprocess.run(
        ["git", "ls-files"], cwd=root, check=True, capture_output=True, text=True
    ).stdout
    return {line for line in output.splitlines() if line}


def expected_sdist(tracked):
    return (tracked - NOT_IN_SDIST) | SDIST_METADATA


def expected_wheel(tracked, dist_info):
    modules = {
        name
        for name in tracked
        if name.startswith(f"{PACKAGE}/") and name.endswith(".py")
    }
    return modules | {f"{dist_info}/{name}" for name in WHEEL_METADATA}


def sdist_members(path):
    with tarfile.open(path) as archive:
        names = [member.name for member in archive.getmembers() if member.isfile()]
    top = path.name.removesuffix(".tar.gz")
    return {name.removeprefix(f"{top}/") for name in names}


def wheel_members(path):
    with zipfile.ZipFile(path) as archive:
        return {name for name in archive.namelist() if not name.endswith("/")}


def compare(label, found, expected):
    """Print the archive's contents; return the list of problems."""
    print(f"{label}: {len(found)} files")
    for name in sorted(found):
        print(f"    {name}")
    problems = [f"{label}: missing {name}" for name in sorted(expected - found)]
    problems += [f"{label}: unexpected {name}" for name in sorted(found - expected)]
    return problems


def main(dist, root="."):
    dist, root = Path(dist), Path(root)
    (sdist,) = dist.glob("*.tar.gz")
    (wheel,) = dist.glob("*.whl")
    name, version = wheel.name.split("-")[:2]
    tracked = tracked_files(root)
    problems = compare(sdist.name, sdist_members(sdist), expected_sdist(tracked))
    problems += compare(
        wheel.name,
        wheel_members(wheel),
        expected_wheel(tracked, f"{name}-{version}.dist-info"),
    )
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print("both archives hold exactly the expected files")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
