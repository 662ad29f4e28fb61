"""Every solution notebook runs top to bottom in a plain kernel, hidden tests included.

Here the hidden tests run inside the notebook's own kernel (as when an
instructor runs a solution in JupyterLab), reaching the answers through the
same `student` proxy the grader uses. The same run checks the numbers the
prose quotes from it (tests/notebook_text.py).

FULL_TRAINING=1 runs every training at its full length (about twelve more
minutes here), so that the quotes from the long runs of 09-11 are compared too.
"""
import datetime
import json
import os
import time

import nbformat
import pytest
from nbclient import NotebookClient

from autograder import course, registry

from notebook_text import QUOTES, STATED_TIME, Setting, squeezed

# Training runs longer than the suite can afford are cut to one epoch here; every cell still runs.
# (Full runs: notebook 09 trains 15 epochs of 55,000 pictures, 10 twenty epochs and 11 eight epochs
# of three models on a million characters; minutes each, measured in the notes.)
SHORTER_TRAINING = {
    "09_convolutional_networks": ("SEED, EPOCHS, BATCH_SIZE = 20190119, 15, 64", "SEED, EPOCHS, BATCH_SIZE = 20190119, 1, 64"),
    "10_recurrent_networks": ("SEED, EPOCHS, BATCH_SIZE, STEPS, EMBED, HIDDEN = 20261130, 20, 32, 25, 32, 256",
                              "SEED, EPOCHS, BATCH_SIZE, STEPS, EMBED, HIDDEN = 20261130, 1, 32, 25, 32, 256"),
    "11_lstm_gru": ("SEED, EPOCHS, BATCH_SIZE, STEPS, EMBED, HIDDEN = 20261130, 8, 32, 25, 32, 128",
                    "SEED, EPOCHS, BATCH_SIZE, STEPS, EMBED, HIDDEN = 20261130, 1, 32, 25, 32, 128"),
}


FULL_TRAINING = os.environ.get("FULL_TRAINING") == "1"
LONG = 5.0  # seconds: a cell that runs longer should say so in its first line, as STATED_TIME reads
PROBE = "quoted numbers: "


def solution(name):
    nb = nbformat.read(course.SOLUTIONS / name / f"{name}.ipynb", as_version=4)
    if name in SHORTER_TRAINING and not FULL_TRAINING:
        full, short = SHORTER_TRAINING[name]
        cells = [cell for cell in nb.cells if full in cell.source]
        assert len(cells) == 1, f"{name}: no training cell holds {full!r} any more; update SHORTER_TRAINING"
        cells[0].source = cells[0].source.replace(full, short)
    return nb


@pytest.mark.parametrize("name", registry.names())
def test_solution_notebook_executes_top_to_bottom(name, tmp_path):
    nb = solution(name)
    quotes = add_probes(nb, [quote for quote in QUOTES.get(name, []) if not isinstance(quote, Setting)])
    started = time.monotonic()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(course.SOLUTIONS / name)}}).execute()
    errors = [(c.id, o.ename, o.evalue) for c in nb.cells if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    assert not errors
    print(f"{name} executed in {time.monotonic() - started:.1f} s")
    for index, cell in enumerate(nb.cells):
        seconds = cell_seconds(cell)
        if seconds > LONG or STATED_TIME.match(cell.get("source", "")):
            stated = STATED_TIME.match(cell.source)
            print(f"  cell {index} ran {seconds:.1f} s; it says {stated[0] if stated else 'nothing'!r} (a time: not asserted)")
    values, wrong = probed_values(nb), []
    assert len(values) == len(quotes), f"{len(quotes)} quoted numbers, but the probes printed {len(values)} values"
    for quote, value in zip(quotes, values):
        if quote.full_run and not FULL_TRAINING:
            continue  # the suite ran this training shortened
        print(f"the prose says {squeezed(quote.fragment)!r}, the run gave {value:.6g}"
              + (" (a time: not asserted)" if quote.timing else ""))
        if not quote.timing and not abs(value - quote.number) <= quote.allowed:
            wrong.append(f"the prose says {quote.fragment!r}, the run gave {value:.6g} ({quote.expression})")
    assert not wrong, "the prose quotes numbers the run no longer gives; update the text:\n" + "\n".join(wrong)


def cell_seconds(cell):
    """How long a code cell ran, from the timestamps nbclient records in its metadata."""
    times = cell.get("metadata", {}).get("execution", {})
    if cell.cell_type != "code" or "iopub.execute_input" not in times or "shell.execute_reply" not in times:
        return 0.0
    parse = datetime.datetime.fromisoformat
    return (parse(times["shell.execute_reply"].replace("Z", "+00:00"))
            - parse(times["iopub.execute_input"].replace("Z", "+00:00"))).total_seconds()


def add_probes(nb, quotes):
    """Insert, before each markdown cell that quotes the run, a cell that prints the quoted expressions' values.

    Returns the quotes in the order the probes print them.
    """
    order, cells = [], []
    for cell in nb.cells:
        here = [quote for quote in quotes if cell.cell_type == "markdown" and squeezed(quote.fragment) in squeezed(cell.source)]
        if here:
            expressions = [quote.expression for quote in here]
            cells.append(nbformat.v4.new_code_cell(
                f"print({PROBE!r} + __import__('json').dumps([float(eval(e)) for e in {expressions!r}]))"))
            order += here
        cells.append(cell)
    assert len(order) == len(quotes), f"fragments not found in the prose: {set(quotes) - set(order)}"
    nb.cells = cells
    return order


def probed_values(nb):
    return [value for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
            if out.output_type == "stream" and out.text.startswith(PROBE)
            for value in json.loads(out.text[len(PROBE):])]
