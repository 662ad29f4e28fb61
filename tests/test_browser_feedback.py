"""What a student wrote never runs in a browser: not in the feedback file, not in nbgrader's formgrader.

The class graded for the grading tests holds a submission with script in
every place a page might render (casebook/attacks.py). Headless Chromium
opens its feedback file and its formgrader page, served as an instructor
would serve them (`python -m autograder review OUT`), and watches for any
sign of the payloads: the mark they leave on the page, the requests they
make, dialogs. A control shows that the same watcher sees the payloads run
when the submission is rendered the way nbgrader would render it untouched.
"""
import os
import signal
import subprocess
import sys
import time

import nbformat
import pytest
from nbconvert import HTMLExporter
from nbgrader.api import Gradebook

from autograder.casebook import attacks

from grading_cases import slug
from test_browser import CHROMIUM, free_port

pytestmark = pytest.mark.browser
NOTEBOOK = "01_derivatives"
STUDENT = f"cheat-{slug('script in every place a page renders')}"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


class Watcher:
    """A browser page that records every sign of a payload that ran."""

    def __init__(self, browser):
        self.page = browser.new_page()
        self.requests, self.dialogs = [], []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))

    def visit(self, url):
        self.page.goto(url)
        self.page.wait_for_load_state("load")
        self.page.wait_for_timeout(1500)  # let onerror, onload and fetch() fire if they are going to
        return self

    def signs(self):
        marks = self.page.evaluate(f"window.__{attacks.MARK} || []")
        return {"marks": marks, "requests": [url for url in self.requests if attacks.MARK in url and
                                             "x-" + attacks.MARK not in url], "dialogs": self.dialogs}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is missing: scripts/test installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def formgrader(graded):
    """`python -m autograder review OUT` on the graded class; yields its address."""
    port, token = free_port(), "feedback-test-token"
    log = open(graded.out / "review.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "autograder", "review", str(graded.out), "--no-browser",
                               f"--port={port}", "--ip=127.0.0.1", f"--IdentityProvider.token={token}"],
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    while f":{port}/" not in (graded.out / "review.log").read_text():
        if server.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the formgrader did not start:\n{(graded.out / 'review.log').read_text()[-3000:]}")
        time.sleep(0.5)
    yield f"http://127.0.0.1:{port}", token
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def test_the_watcher_sees_payloads_in_an_untouched_render(graded, browser, tmp_path):
    """Control: the submission as nbgrader would render it without our care runs its scripts."""
    submitted = graded.out.parent / "submitted" / STUDENT / NOTEBOOK / f"{NOTEBOOK}.ipynb"
    body, _ = HTMLExporter(template_name="classic").from_notebook_node(nbformat.read(submitted, as_version=4))
    page = tmp_path / "untouched.html"
    page.write_text(body)
    signs = Watcher(browser).visit(page.as_uri()).signs()
    assert "markdown" in signs["marks"], signs


def test_feedback_file_is_inert(graded, browser):
    feedback = graded.out / "feedback" / STUDENT / f"{NOTEBOOK}.html"
    text = feedback.read_text()
    assert 'http-equiv="Content-Security-Policy"' in text.split("</head>")[0]
    watcher = Watcher(browser).visit(feedback.as_uri())
    assert watcher.signs() == {"marks": [], "requests": [], "dialogs": []}
    assert watcher.page.get_by_text("Text added or changed by the student").count() >= 2, \
        "the student's own markdown should be shown as text"


def test_formgrader_page_is_inert(graded, browser, formgrader):
    url, token = formgrader
    with Gradebook(f"sqlite:///{graded.out / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission_notebook(NOTEBOOK, NOTEBOOK, STUDENT).id
    watcher = Watcher(browser).visit(f"{url}/formgrader?token={token}")
    watcher.visit(f"{url}/formgrader/submissions/{submission}/?index=0")
    assert watcher.page.get_by_text("Text added or changed by the student").count() >= 2, \
        "the formgrader did not show the submission"
    assert watcher.signs() == {"marks": [], "requests": [], "dialogs": []}
    assert not list(graded.out.glob(f"{attacks.MARK}*")), "a payload wrote a file through the Jupyter server"
