"""The package carries every data file it reads, reads nothing outside itself (a non-editable install works), and
ships its licence and a citation of the sources."""

import fnmatch
import tomllib
from pathlib import Path

import gandiv

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "gandiv"


def test_every_yaml_of_the_package_is_package_data():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["gandiv"]
    data = [p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.yaml")]
    assert {"pipeline/config.schema.yaml", "figures/catalogue.yaml"} <= set(data)
    assert [d for d in data if not any(fnmatch.fnmatch(d, pattern) and d.count("/") == pattern.count("/")
                                       for pattern in patterns)] == []


def test_the_package_does_not_reach_outside_itself():
    # every file path the package opens is built from its own folder (no parents[...] climbing into the checkout)
    offenders = [p.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("*.py")
                 if "parents[" in p.read_text() or '"workflow"' in p.read_text()]
    assert offenders == []
    assert Path(gandiv.__file__).parent == PACKAGE


def test_licence_and_citation_name_the_sources():
    import yaml

    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["cff-version"] == "1.2.0" and citation["license"] == "MIT"
    from gandiv.figures.catalogue import load_catalogue

    titles = {ref["title"] for ref in citation["references"]}
    assert titles == {source.title for source in load_catalogue().sources.values()}  # every source text, cited
