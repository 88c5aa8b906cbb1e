"""The project's metadata files exist and agree with pyproject.toml."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_metadata_files():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["license"]["text"] == "Apache-2.0"
    assert "Apache License" in (ROOT / "LICENSE").read_text()
    assert "Version 2.0" in (ROOT / "LICENSE").read_text()
    cff = (ROOT / "CITATION.cff").read_text()
    assert f"version: {meta['version']}" in cff and "license: Apache-2.0" in cff
    assert "## Unreleased" in (ROOT / "CHANGELOG.md").read_text()
    assert (ROOT / "src" / "metaloss" / "py.typed").exists()
    assert meta["authors"] and meta["keywords"] and meta["classifiers"]


def test_readme_is_a_landing_page():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    assert "pip install" in readme and "make reproduce" in readme and "make test" in readme
