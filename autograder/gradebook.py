"""Where a class's grades live: nbgrader's gradebook in a SQLite file or on a PostgreSQL server.

    grade SUBMISSIONS --out OUT                                   # OUT/gradebook.db
    grade SUBMISSIONS --out OUT --db postgresql://USER:PASSWORD@HOST:PORT/DATABASE

A server lets several machines and the formgrader share one gradebook. The
URL is checked before anything is graded, so a typing mistake or a server
that is down costs seconds, not a grading run. Grading a class again updates
its rows (nbgrader keys a grade by student, notebook and exercise). A score
an instructor set by hand in the formgrader stays: nbgrader keeps manual
scores over automatic ones and flags the cell for review, and the grading
run lists every such cell.
"""
import importlib.util
from dataclasses import dataclass

from sqlalchemy.engine import make_url

POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


def database_url(text, out):
    """The SQLAlchemy URL of the gradebook that `--db text` names (default: a SQLite file in `out`)."""
    if not text:
        return f"sqlite:///{out / 'gradebook.db'}"
    try:
        url = make_url(text)
    except Exception:
        raise SystemExit(f"--db {shown(text)}: not a database URL; use sqlite:///PATH or "
                         "postgresql://USER:PASSWORD@HOST:PORT/DATABASE") from None
    if url.drivername == "sqlite":
        return text
    if url.drivername not in POSTGRES_SCHEMES:
        raise SystemExit(f"--db {shown(text)}: the gradebook can be SQLite or PostgreSQL, not {url.drivername}")
    if importlib.util.find_spec("psycopg") is None:
        raise SystemExit("--db postgresql://... needs the PostgreSQL driver: .venv/bin/pip install -e '.[cluster]'")
    return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def shown(url):
    """The URL as it may be printed: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(an unreadable URL)"


def check_reachable(url):
    """Stop with a clear message when the gradebook's server cannot be reached or refuses us."""
    if url.startswith("sqlite"):
        return
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0][:300]
        raise SystemExit(f"cannot use the gradebook at {shown(url)}: {reason}. Check that the server runs, "
                         "that the database exists and that the user may create tables in it.") from None
    finally:
        engine.dispose()


@dataclass(frozen=True)
class ManualScore:
    student: str
    notebook: str
    exercise: str
    manual: float
    automatic: float


def manual_scores(url):
    """Every grade an instructor set by hand (in the formgrader), which a regrade keeps."""
    from nbgrader.api import Gradebook, Grade
    with Gradebook(url) as gb:
        grades = gb.db.query(Grade).filter(Grade.manual_score.isnot(None)).all()
        return sorted(ManualScore(g.student.id, g.notebook.name, g.name, float(g.manual_score),
                                  float(g.auto_score or 0.0)) for g in grades)
