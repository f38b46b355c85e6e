"""The installed package: where it is imported from, what the wheel put there, its type stub."""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path
import subprocess
import sys
import sysconfig

import pytest

import hpimportance
from hpimportance import _native


SOURCE_DIR = Path(__file__).resolve().parents[1] / "python"

# `.ci/run` and the release workflow set this: there the tests must exercise the installed
# wheel, not `python/hpimportance` (which `maturin develop` links into the environment).
REQUIRE_INSTALLED = os.environ.get("HPIMPORTANCE_TEST_INSTALLED") == "1"


@pytest.mark.skipif(
    not REQUIRE_INSTALLED, reason="HPIMPORTANCE_TEST_INSTALLED=1 asks for the installed wheel"
)
def test_package_comes_from_the_installed_wheel() -> None:
    package_dir = Path(hpimportance.__file__).resolve().parent
    files = importlib.metadata.files("hpimportance") or []
    names = {file.as_posix() for file in files}
    native = Path(_native.__file__).name
    site_packages = {Path(sysconfig.get_path(name)).resolve() for name in ("purelib", "platlib")}

    assert package_dir.parent in site_packages, package_dir
    assert not package_dir.is_relative_to(SOURCE_DIR), package_dir
    assert Path(_native.__file__).resolve().parent == package_dir
    assert {
        "hpimportance/__init__.py",
        "hpimportance/_native.pyi",
        "hpimportance/py.typed",
        f"hpimportance/{native}",
    } <= names
    # Nothing but the package and its metadata (no tests, benchmarks or data); paths that start
    # with ".." are the console script, which pip writes outside site-packages.
    top_level = {name.split("/")[0] for name in names if not name.startswith("..")}
    assert top_level == {"hpimportance", f"hpimportance-{hpimportance.__version__}.dist-info"}


def test_stub_matches_the_native_module(tmp_path: Path) -> None:
    # stubtest passes a private module that has no stub at all, so check that it has one.
    assert Path(_native.__file__).with_name("_native.pyi").is_file()

    # Run from an empty directory so that mypy finds the stub where Python finds the module.
    completed = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "hpimportance._native"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
