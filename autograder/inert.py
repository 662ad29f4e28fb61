"""Make a graded notebook safe to open, wherever it is shown as a web page.

The graded notebook is rendered as HTML twice: in the feedback file a student
(or instructor) opens, and in nbgrader's formgrader, whose pages share the
Jupyter server's origin, so that a script there acts as the instructor. So
nothing a student wrote or printed may reach either as markup:

- outputs keep only plain text and PNG or JPEG images, checked to be what they
  claim; HTML, JavaScript, Markdown, LaTeX, SVG and widget views are dropped;
- markdown and raw cells that the release does not hold word for word are
  shown as text in a fenced block, never rendered (so neither HTML nor
  MathJax sees them);
- metadata that templates and widget managers read (widget state, cell
  attachments, tags, output metadata) is dropped.

The feedback page also carries a Content-Security-Policy that lets no script
run but MathJax from its CDN, should anything ever slip through.
"""
import base64
import binascii
import re

import nbformat

IMAGE_SIGNATURES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
SAFE_TAG = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
STUDENT_TEXT = "*Text added or changed by the student, shown as written:*"
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
       "font-src data: https://cdnjs.cloudflare.com/ajax/libs/mathjax/; "
       "script-src https://cdnjs.cloudflare.com/ajax/libs/mathjax/ 'unsafe-eval'; "
       "base-uri 'none'; form-action 'none'")


def make_inert(nb, release_nb):
    """Strip `nb` (graded, in place) down to what renders as text and pictures; return it."""
    trusted_text = {cell.source for cell in release_nb.cells if cell.cell_type != "code"}
    for index, cell in enumerate(nb.cells):
        metadata = {key: cell.metadata[key] for key in ("nbgrader",) if key in cell.metadata}
        tags = [tag for tag in cell.metadata.get("tags", []) if isinstance(tag, str) and SAFE_TAG.match(tag)]
        cell.metadata = nbformat.from_dict({**metadata, **({"tags": tags} if tags else {})})
        if cell.cell_type == "code":
            cell.outputs = [kept for kept in map(inert_output, cell.get("outputs", [])) if kept is not None]
        elif cell.source in trusted_text and cell.cell_type == "markdown":
            cell.pop("attachments", None)
        else:
            nb.cells[index] = as_text_cell(cell)
    nb.metadata = nbformat.from_dict({key: release_nb.metadata[key] for key in ("kernelspec", "language_info")
                                      if key in release_nb.metadata})
    return nb


def as_text_cell(cell):
    """A markdown cell that shows `cell`'s source verbatim, in a fence longer than any inside it."""
    source = cell.source if isinstance(cell.source, str) else ""
    longest = max((len(run) for run in re.findall(r"~+", source)), default=0)
    fence = "~" * max(3, longest + 1)
    text = nbformat.v4.new_markdown_cell(f"{STUDENT_TEXT}\n\n{fence}text\n{source}\n{fence}")
    if "nbgrader" in cell.metadata:
        text.metadata["nbgrader"] = cell.metadata["nbgrader"]
    return text


def inert_output(output):
    """The output as plain text, an image, or an error message; None when nothing of it is safe."""
    kind = output.get("output_type")
    if kind == "stream":
        name = output.get("name") if output.get("name") in ("stdout", "stderr") else "stdout"
        return nbformat.v4.new_output("stream", name=name, text=_text(output.get("text")))
    if kind == "error":
        traceback = output.get("traceback") if isinstance(output.get("traceback"), list) else []
        return nbformat.v4.new_output("error", ename=_text(output.get("ename")), evalue=_text(output.get("evalue")),
                                      traceback=[_text(line) for line in traceback])
    if kind in ("display_data", "execute_result"):
        data = output.get("data") if isinstance(output.get("data"), dict) else {}
        kept = {}
        if "text/plain" in data:
            kept["text/plain"] = _text(data["text/plain"])
        for mimetype in IMAGE_SIGNATURES:
            image = checked_image(data.get(mimetype), mimetype)
            if image:
                kept[mimetype] = image
        return nbformat.v4.new_output("display_data", data=kept) if kept else None
    return None


def checked_image(data, mimetype):
    """Clean base64 of an image whose bytes start as `mimetype` says, or None."""
    if isinstance(data, list):
        data = "".join(part for part in data if isinstance(part, str))
    if not isinstance(data, str):
        return None
    try:
        raw = base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    return base64.b64encode(raw).decode("ascii") if raw.startswith(IMAGE_SIGNATURES[mimetype]) else None


def _text(value):
    if isinstance(value, list):
        value = "".join(part for part in value if isinstance(part, str))
    return value if isinstance(value, str) else ""


def add_csp(html):
    """The feedback page with a Content-Security-Policy as the first thing in its head."""
    meta = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
    head = re.search(r"<head[^>]*>", html, flags=re.IGNORECASE)
    if head is None:
        return f"<!doctype html><head>{meta}</head>" + html
    return html[:head.end()] + "\n" + meta + html[head.end():]
