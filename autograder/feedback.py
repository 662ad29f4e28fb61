"""Feedback pages: one HTML page per student and notebook, made by nbgrader's feedback step.

Each page carries a Content-Security-Policy (inert.add_csp). A notebook that
did not grade, or whose page cannot be made, gets a plain page that says why.
"""
import concurrent.futures
import functools
import html
import multiprocessing
import re
from pathlib import Path

from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

from . import course, inert, intake

ALT_TEXT = "A figure from the notebook"


class FeedbackExporter(HTMLExporter):
    """nbconvert's HTML export without its BeautifulSoup pass.

    That pass parses and prints every page again to add alt text to images
    and tabindex to JupyterLab's cell classes, which nbgrader's classic
    feedback template does not use: 0.2 s of the 0.35 s a page took, paid
    for every graded notebook. Images get their alt text here instead.
    """

    def from_notebook_node(self, nb, resources=None, **kw):
        language = nb.metadata.get("language_info", {})
        lexer = language.get("pygments_lexer", language.get("name"))
        resources = self._init_resources(resources)
        self.register_filter("highlight_code",
                             self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
        self.register_filter("filter_data_type",
                             WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self,
                                                   resources=resources))
        page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return with_alt_text(page), resources


def with_alt_text(page):
    """Every <img> without an alt attribute gets one, so that a screen reader can say what it is."""
    def add(match):
        tag = match.group(0)
        return tag if re.search(r"\salt\s*=", tag, flags=re.IGNORECASE) else f'{tag[:4]} alt="{ALT_TEXT}"{tag[4:]}'
    return re.sub(r"<img\b[^>]*>", add, page, flags=re.IGNORECASE)


class Pages:
    """OUT/feedback/STUDENT/NOTEBOOK.html, made by `jobs` processes in the background.

    The processes start (and load nbgrader) as soon as this is made, while the
    gradebook is prepared on the other core, and each graded notebook's page is
    made as soon as it has been recorded, while the class is still graded.
    """

    def __init__(self, root, out, db_url, jobs, log):
        self.root, self.folder, self.db_url, self.log = str(root), Path(out) / "feedback", db_url, log
        self.pool = concurrent.futures.ProcessPoolExecutor(max(1, jobs),
                                                           mp_context=multiprocessing.get_context("spawn"))
        for _ in range(max(1, jobs)):
            self.pool.submit(_ready)
        self.waiting = []

    def add(self, outcome):
        target = self.folder / outcome.student / f"{outcome.notebook}.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        if outcome.status != "graded":
            target.write_text(plain_page(outcome.notebook, outcome.message or outcome.status))
            return
        task = (outcome.student, outcome.notebook, self.root, self.db_url, str(target))
        self.waiting.append((outcome, target, self.pool.submit(page_for, task)))

    def finish(self):
        """Wait for every page; one that could not be made becomes a plain page that says so."""
        for outcome, target, future in self.waiting:
            try:
                problem = future.result()
            except Exception as error:
                problem = f"{type(error).__name__}: {error}"
            if problem:
                self.log(f"  could not write feedback for {intake.shown(outcome.student)}/{outcome.notebook}: "
                         f"{problem[-500:]}")
                target.write_text(plain_page(outcome.notebook, (
                    "Your notebook was graded (see your grades), but its feedback page could not be made. "
                    "Ask your instructor for it."), zero=False))
        self.pool.shutdown()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.finish() if exc[0] is None else self.pool.shutdown(cancel_futures=True)


def _ready():
    return ""   # a first task, so that each process starts and imports this module early


@functools.lru_cache(maxsize=4)
def _api(root, db_url):
    """One nbgrader API per process and class: its set-up is a third of a page's time."""
    config = course.nbgrader_config(root=root, db_url=db_url, source_directory=str(course.SOLUTIONS),
                                    release_directory="release")
    config.GenerateFeedback.exporter_class = FeedbackExporter
    return course.nbgrader_api(config=config)


def page_for(task):
    """Make one page with nbgrader's feedback step; '' when done, else what went wrong."""
    student, notebook, root, db_url, target = task
    result = _api(root, db_url).generate_feedback(notebook, student)
    produced = Path(root) / "feedback" / student / notebook / f"{notebook}.html"
    if result["success"] and produced.exists():
        Path(target).write_text(inert.add_csp(produced.read_text()))
        return ""
    return (result.get("error") or "nbgrader wrote no page")[-500:]


def plain_page(notebook, message, zero=True):
    title = html.escape(notebook)
    return (f"<!doctype html><meta charset='utf-8'>"
            f"<meta http-equiv='Content-Security-Policy' content=\"{inert.CSP}\"><title>{title}</title>"
            f"<h1>{title}{': 0 points' if zero else ''}</h1><p>{html.escape(message)}</p>")
