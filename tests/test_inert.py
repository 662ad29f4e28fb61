"""A graded notebook keeps only what renders as text and pictures (autograder/inert.py)."""
import base64

import nbformat

from autograder import inert
from autograder.casebook.attacks import TINY_PNG


def graded_pair(*cells, release_cells=()):
    release = nbformat.v4.new_notebook(cells=list(release_cells))
    release.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    graded = nbformat.v4.new_notebook(cells=list(cells))
    graded.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return graded, release


def test_release_markdown_stays_and_student_markdown_becomes_text():
    narrative = nbformat.v4.new_markdown_cell("## The chain rule\n\n$f'(g(x))\\,g'(x)$")
    added = nbformat.v4.new_markdown_cell("<img src=x onerror=alert(1)> ~~~ and ~~~~ fences")
    raw = nbformat.v4.new_raw_cell("<script>alert(2)</script>")
    raw.metadata["format"] = "text/html"
    graded, release = graded_pair(narrative, added, raw, release_cells=[narrative])
    cells = inert.make_inert(graded, release).cells
    assert cells[0].source == narrative.source
    for cell, original, fence_length in ((cells[1], added.source, 5), (cells[2], raw.source, 3)):
        assert cell.cell_type == "markdown" and cell.source.startswith(inert.STUDENT_TEXT)
        fence = cell.source.split("\n")[2][:-len("text")]
        assert fence == "~" * fence_length     # longer than the longest run inside
        assert cell.source.endswith(f"{original}\n{fence}")
    assert set(graded.metadata) == {"kernelspec"}


def test_outputs_keep_text_and_real_images_only():
    code = nbformat.v4.new_code_cell("display(...)")
    code.metadata["tags"] = ['x" onmouseover="alert(1)', "keep-me"]
    code.metadata["scrolled"] = True
    code.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": "<b>x</b>", "text/plain": "<HTML object>",
                                                     "application/javascript": "alert(1)"}),
        nbformat.v4.new_output("display_data", data={"image/png": TINY_PNG}, metadata={"image/png": {"width": "1 x=y"}}),
        nbformat.v4.new_output("display_data", data={"image/png": '"><script>alert(1)</script>'}),
        nbformat.v4.new_output("display_data", data={"image/jpeg": TINY_PNG}),   # a PNG that says it is a JPEG
        nbformat.v4.new_output("display_data", data={"image/svg+xml": "<svg onload=alert(1)>"}),
        nbformat.v4.new_output("execute_result", data={"text/plain": "42"}, execution_count=3),
        nbformat.v4.new_output("stream", name="stdout", text="<script>printed</script>"),
        nbformat.v4.new_output("error", ename="ValueError", evalue="<b>", traceback=["line"]),
    ]
    graded, release = graded_pair(code)
    cell = inert.make_inert(graded, release).cells[0]
    assert cell.metadata == {"tags": ["keep-me"]}
    kinds = [(o.output_type, sorted(o.get("data", {}))) for o in cell.outputs]
    assert kinds == [("display_data", ["text/plain"]), ("display_data", ["image/png"]),
                     ("display_data", ["text/plain"]), ("stream", []), ("error", [])]
    assert cell.outputs[1].data["image/png"] == TINY_PNG and not cell.outputs[1].get("metadata")
    assert cell.outputs[3].text == "<script>printed</script>"   # text stays text: the page escapes it
    nbformat.validate(graded)


def test_checked_image_wants_base64_of_the_named_kind():
    assert inert.checked_image(TINY_PNG[:20] + "\n" + TINY_PNG[20:], "image/png") == TINY_PNG
    assert inert.checked_image(base64.b64encode(b"\xff\xd8\xffdata").decode(), "image/jpeg")
    assert inert.checked_image("not base64 at all!", "image/png") is None
    assert inert.checked_image(None, "image/png") is None


def test_feedback_pages_get_a_content_security_policy_first():
    page = inert.add_csp("<!DOCTYPE html><html><head><title>x</title><script>1</script></head></html>")
    head = page.split("</head>")[0]
    assert head.index("Content-Security-Policy") < head.index("<title>")
    assert "script-src https://cdnjs.cloudflare.com/ajax/libs/mathjax/" in inert.CSP
    assert "'unsafe-inline'" not in inert.CSP.split("script-src")[1].split(";")[0]
