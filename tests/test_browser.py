"""A real browser drives the student edition in JupyterLab, started as the README starts it.

Headless Debian Chromium (never a downloaded browser) opens notebook 01, runs
all cells, moves the step slider of the derivative explorer and sees the
picture change. For notebook 08, whose explorers draw the student's own
engine, it opens the solved notebook up to the graph explorer, presses
"run backward" and sees the picture change. Everything is worked on a copy
of course/, so the committed student edition is never saved over.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import nbformat
import pytest

from autograder import course

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
SHOWN = ".jp-NotebookPanel:not(.lm-mod-hidden)"   # the notebook on screen, not a tab behind it
pytestmark = pytest.mark.browser


def solved_up_to(name, marker):
    """The solution notebook `name` from its start to the first cell containing `marker`, hidden tests removed."""
    solved = nbformat.read(course.SOLUTIONS / name / f"{name}.ipynb", as_version=4)
    cells = []
    for cell in solved.cells:
        if cell.cell_type == "code":
            cell.source = cell.source.split("### BEGIN HIDDEN TESTS")[0]
        cells.append(cell)
        if marker in cell.source:
            break
    else:
        raise AssertionError(f"no cell of {name} contains {marker!r}")
    solved.cells = cells
    return solved


def gates_on_a_small_model():
    """Notebook 11 up to its LSTM step, then the gates explorer on a small random model.

    The notebook's own explorer cell needs the model it trains for minutes;
    what the browser test proves (the widget draws and answers) needs none.
    """
    nb = solved_up_to("11_lstm_gru", "def lstm_step_backward")
    nb.cells.append(nbformat.v4.new_code_cell(
        "from dlscratch.explore.gates import gates_explorer\n"
        "rng = np.random.default_rng(0)\n"
        "text = 'ANTONY.\\nCaesar, my lord?\\n\\nCAESAR.\\nForget not in your speed, Antonius.\\n'\n"
        "vocab = sorted(set(text))\n"
        "encode = lambda s: np.array([vocab.index(ch) for ch in s])\n"
        "params = {'W_embed': rng.normal(size=(len(vocab), 8)), 'Wx': rng.normal(size=(8, 64)) / 3,\n"
        "          'Wh': rng.normal(size=(16, 64)) / 4, 'b': np.zeros(64)}\n"
        "gates_explorer(lstm_step_forward, params, text, encode)"))
    return nb


def run_all_cells(page):
    for attempt in range(4):  # a kernel still connecting may drop the first request
        page.get_by_role("menuitem", name="Run", exact=True).click(timeout=30_000)
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click(timeout=30_000)
        try:
            page.wait_for_selector(".jp-InputPrompt:has-text('[1]')", state="attached", timeout=30_000)
            return
        except Exception:
            if attempt == 3:
                raise


def open_browser(playwright):
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync"])


def open_notebook(browser, url, token, path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    # `reset` starts from an empty workspace, so notebooks that earlier tests opened are not restored
    # as hidden tabs whose widgets would match the locators below.
    page.goto(f"{url}/lab/tree/{path}?token={token}&reset")
    page.wait_for_selector(".jp-Notebook >> visible=true", timeout=120_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle'] >> visible=true", timeout=120_000)
    return page


def first_picture(page, failure_shot):
    image = page.locator(f"{SHOWN} .jupyter-widgets img").first
    try:
        image.wait_for(state="attached", timeout=180_000)   # off-screen cells are attached, not shown
    except Exception:
        page.screenshot(path=str(ARTIFACTS / failure_shot))
        raise
    image.scroll_into_view_if_needed()
    page.wait_for_function("img => img.naturalWidth > 0", arg=image.element_handle(), timeout=60_000)
    return image


def press_slider(page, label, presses):
    """Move the explorer's slider named `label` by `presses` steps to the right, with the keyboard.

    JupyterLab skips drawing off-screen cells (content-visibility), so Playwright may call the
    handle invisible: scroll to it and focus it from the page instead of clicking.
    """
    handle = page.locator(f"{SHOWN} .widget-hslider:has-text('{label}') .noUi-handle").first
    handle.wait_for(state="attached", timeout=60_000)
    handle.evaluate("h => h.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(500)
    handle.evaluate("h => h.focus()")
    for _ in range(presses):
        page.keyboard.press("ArrowRight")


def next_picture(page, image, before):
    """The picture's source once it differs from `before` (the explorer redrew)."""
    page.wait_for_function("([img, old]) => img.getAttribute('src') !== old",
                           arg=[image.element_handle(), before], timeout=60_000)
    return image.get_attribute("src")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is missing: scripts/test installs it (apt-get install chromium)")
    work = tmp_path_factory.mktemp("lab") / "course"
    shutil.copytree(course.COURSE, work)
    nbformat.write(solved_up_to("08_autodiff", "graph_explorer("), work / "08_autodiff" / "solved_engine.ipynb")
    nbformat.write(solved_up_to("09_convolutional_networks", "convolution_explorer("),
                   work / "09_convolutional_networks" / "solved_convolution.ipynb")
    nbformat.write(solved_up_to("10_recurrent_networks", "vanishing_explorer("),
                   work / "10_recurrent_networks" / "solved_vanishing.ipynb")
    nbformat.write(gates_on_a_small_model(), work / "11_lstm_gru" / "solved_gates.ipynb")
    port, token = free_port(), "browser-test-token"
    log = open(work.parent / "lab.log", "w")
    server = subprocess.Popen(
        [str(course.REPO / "scripts" / "lab"), "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--IdentityProvider.token={token}",  # a workspace of its own: one saved by another run could intrude
         f"--LabApp.workspaces_dir={work.parent / 'workspaces'}"],
        env={**os.environ, "LAB_ROOT": str(work)}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        text = (work.parent / "lab.log").read_text()
        if f":{port}/lab" in text:
            break
        if server.poll() is not None:
            pytest.fail(f"JupyterLab stopped:\n{text[-3000:]}")
        time.sleep(0.5)
    else:
        pytest.fail("JupyterLab did not start within 3 minutes")
    yield url, token
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def test_derivative_explorer_responds_in_jupyterlab(lab):
    from playwright.sync_api import sync_playwright

    url, token = lab
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = open_browser(playwright)
        page = open_notebook(browser, url, token, "01_derivatives/01_derivatives.ipynb")
        assert page.get_by_text("Create Assignment").count() == 0, "students see nbgrader's instructor panel"
        run_all_cells(page)
        image = first_picture(page, "derivative-explorer-failed.png")
        before = image.get_attribute("src")
        readout = page.locator(f"{SHOWN} .widget-readout").nth(1)
        readout_before = readout.inner_text()

        handle = page.locator(f"{SHOWN} .widget-hslider .noUi-handle").nth(1)   # the step h slider
        handle.focus()
        for _ in range(10):
            page.keyboard.press("ArrowLeft")
        page.wait_for_function("([img, old]) => img.getAttribute('src') !== old",
                               arg=[image.element_handle(), before], timeout=60_000)
        after = image.get_attribute("src")
        page.wait_for_timeout(2000)  # let the last redraw land before the screenshot
        readout_after = readout.inner_text()
        page.screenshot(path=str(ARTIFACTS / "derivative-explorer.png"), full_page=False)
        browser.close()

    assert after != before, "the picture did not change when the slider moved"
    assert readout_after != readout_before and re.match(r"^[-+0-9.e]+$", readout_after.strip()), (
        readout_before, readout_after)


def test_graph_explorer_runs_the_students_backward_in_jupyterlab(lab):
    from playwright.sync_api import sync_playwright

    url, token = lab
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = open_browser(playwright)
        page = open_notebook(browser, url, token, "08_autodiff/solved_engine.ipynb")
        run_all_cells(page)
        button = page.get_by_role("button", name="run backward")
        try:
            button.wait_for(state="attached", timeout=180_000)
            button.scroll_into_view_if_needed(timeout=30_000)
            image = page.locator(f"{SHOWN} .widget-vbox:has(button:has-text('run backward')) img").first
            page.wait_for_function("img => img.naturalWidth > 0", arg=image.element_handle(), timeout=60_000)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "graph-explorer-failed.png"))
            raise
        before = image.get_attribute("src")
        page.get_by_role("button", name="run backward").click(timeout=30_000)
        page.wait_for_function("([img, old]) => img.getAttribute('src') !== old",
                               arg=[image.element_handle(), before], timeout=60_000)
        after = image.get_attribute("src")
        page.screenshot(path=str(ARTIFACTS / "graph-explorer.png"), full_page=False)
        browser.close()
    assert after != before, "the graph did not change when backward ran"


def test_convolution_explorer_follows_the_output_position_in_jupyterlab(lab):
    from playwright.sync_api import sync_playwright

    url, token = lab
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = open_browser(playwright)
        page = open_notebook(browser, url, token, "09_convolutional_networks/solved_convolution.ipynb")
        run_all_cells(page)
        image = first_picture(page, "convolution-explorer-failed.png")
        before = image.get_attribute("src")
        press_slider(page, "output row", 5)
        after = next_picture(page, image, before)
        page.wait_for_timeout(2000)
        page.screenshot(path=str(ARTIFACTS / "convolution-explorer.png"), full_page=False)
        browser.close()
    assert after != before, "the picture did not change when the output position moved"


def test_vanishing_explorer_redraws_when_the_spectral_radius_moves_in_jupyterlab(lab):
    from playwright.sync_api import sync_playwright

    url, token = lab
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = open_browser(playwright)
        page = open_notebook(browser, url, token, "10_recurrent_networks/solved_vanishing.ipynb")
        run_all_cells(page)
        image = first_picture(page, "vanishing-explorer-failed.png")
        before = image.get_attribute("src")
        press_slider(page, "spectral radius", 4)          # 0.9 -> 1.1: from vanishing to exploding
        after = next_picture(page, image, before)
        page.locator(f"{SHOWN} .widget-toggle-button:has-text('identity')").first.click()
        next_picture(page, image, after)
        page.wait_for_timeout(2000)
        page.screenshot(path=str(ARTIFACTS / "vanishing-explorer.png"), full_page=False)
        browser.close()
    assert after != before, "the picture did not change when the spectral radius moved"


def test_gates_explorer_redraws_for_another_gate_and_character_in_jupyterlab(lab):
    from playwright.sync_api import sync_playwright

    url, token = lab
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = open_browser(playwright)
        page = open_notebook(browser, url, token, "11_lstm_gru/solved_gates.ipynb")
        run_all_cells(page)
        image = first_picture(page, "gates-explorer-failed.png")
        before = image.get_attribute("src")
        page.locator(f"{SHOWN} .widget-toggle-button:has-text('input')").first.click()
        after = next_picture(page, image, before)
        press_slider(page, "character", 3)
        next_picture(page, image, after)
        page.wait_for_timeout(2000)
        page.screenshot(path=str(ARTIFACTS / "gates-explorer.png"), full_page=False)
        browser.close()
    assert after != before, "the picture did not change when another gate was chosen"
