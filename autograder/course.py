"""The course on disk: where notebooks live, and nbgrader set up to read them."""
import os
from pathlib import Path

from traitlets.config import PyFileConfigLoader

REPO = Path(__file__).resolve().parent.parent
CONFIG_FILE = Path(__file__).with_name("nbgrader_config.py")
SOLUTIONS = REPO / "solutions"
COURSE = REPO / "course"

def assignments(source=SOLUTIONS):
    """Notebook folders on disk, in course order, e.g. ['01_derivatives', '02_chain_rule'].

    What the course holds is autograder/registry.py; the tests check that the
    two agree.
    """
    return sorted(p.name for p in Path(source).iterdir()
                  if p.is_dir() and (p / f"{p.name}.ipynb").exists())


def nbgrader_config(**overrides):
    """The course's nbgrader config, with CourseDirectory settings overridden."""
    config = PyFileConfigLoader(CONFIG_FILE.name, path=str(CONFIG_FILE.parent)).load_config()
    for key, value in overrides.items():
        setattr(config.CourseDirectory, key, value)
    return config


def nbgrader_api(config=None, **overrides):
    """nbgrader's API on `config` (default: the course's config with `overrides`)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    _put_venv_on_path()
    _stamp_new_gradebooks_in_process()
    config = config or nbgrader_config(**overrides)
    Path(config.CourseDirectory.db_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True) \
        if config.CourseDirectory.db_url.startswith("sqlite:///") else None
    coursedir = CourseDirectory(config=config)
    return NbGraderAPI(coursedir=coursedir, config=config)


def release(release_directory=COURSE, db_url=None, names=None, source=SOLUTIONS):
    """Generate the student edition of each notebook with nbgrader (its release step).

    Writes `release_directory/NN_topic/NN_topic.ipynb` and records every cell in
    the gradebook at `db_url` (default: the course gradebook). Raises with
    nbgrader's log when a notebook cannot be released.
    """
    overrides = {"release_directory": os.fspath(release_directory), "source_directory": os.fspath(source)}
    if db_url:
        overrides["db_url"] = db_url
    api = nbgrader_api(**overrides)
    from . import registry
    for name in names or registry.names():
        result = api.generate_assignment(name, force=True, create=True)
        if not result["success"]:
            raise RuntimeError(f"nbgrader could not release {name}:\n{result.get('error') or result.get('log')}")


def alembic_head():
    """The schema revision nbgrader stamps on a new gradebook, read by alembic's Python API."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from nbgrader import dbutil

    config = Config()
    config.set_main_option("script_location", dbutil.ALEMBIC_DIR)
    return ScriptDirectory.from_config(config).get_current_head()


def _stamp_new_gradebooks_in_process():
    """nbgrader asks the `alembic` command for that revision, in a new Python process, whenever it creates a
    gradebook: 2.4 s here, in every grading run and release. The same answer, read in this process, takes
    0.08 s."""
    import nbgrader.api
    nbgrader.api.get_alembic_version = alembic_head


def _put_venv_on_path():
    """nbgrader runs tools such as `alembic` by name; find them beside this interpreter."""
    import sys
    bin_dir = os.path.dirname(sys.executable)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
