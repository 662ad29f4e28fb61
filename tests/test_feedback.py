"""Feedback pages: nbconvert's export without its slow second pass still gives every image alt text."""
import base64
import re

import nbformat
from nbconvert.exporters import HTMLExporter

from autograder import feedback

PNG = base64.b64encode(bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                                     "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"))


def test_alt_text_is_added_only_where_missing():
    page = '<p><img src="a.png"><IMG SRC="b.png"/><img alt="kept" src="c.png"></p>'
    assert feedback.with_alt_text(page) == (f'<p><img alt="{feedback.ALT_TEXT}" src="a.png">'
                                            f'<IMG alt="{feedback.ALT_TEXT}" SRC="b.png"/><img alt="kept" src="c.png"></p>')


def test_the_page_holds_what_nbconverts_own_export_holds():
    cell = nbformat.v4.new_code_cell("plot(x)  # the student's code", outputs=[nbformat.v4.new_output(
        "display_data", data={"image/png": PNG.decode(), "text/plain": "<Figure>"})])
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Losses"), cell])
    ours, _ = feedback.FeedbackExporter(template_name="classic").from_notebook_node(nb)
    theirs, _ = HTMLExporter(template_name="classic").from_notebook_node(nb)
    for page in (ours, theirs):
        assert "the student&#39;s code" in page or "the student's code" in page
        assert PNG.decode()[:40] in page and ">Losses<" in page
    images = re.findall(r"<img\b[^>]*>", ours)
    assert len(images) == len(re.findall(r"<img\b[^>]*>", theirs)) == 1
    assert all(" alt=" in image for image in images)
