"""No answer of a notebook is within reach of a student working on it.

For every notebook N, the students' repository as published with N
(`export-student --through N`: the student edition of 01..N with the modules
released beside those notebooks, the helper package, binder/, the scripts;
the same files this repository's `scripts/lab` shows of 01..N) must not hold
the code of N's answers. Code is compared after normalising it: names become `_` (but
attributes after a dot stay), comments and layout go, so a copy with other
names or spacing is found too. A leak is three consecutive lines of an
answer, each of at least five tokens, found consecutively somewhere in the
published files.
"""
import ast
import io
import json
import keyword
import tokenize
from pathlib import Path

import pytest

import autograder.published.framework
from autograder import course, registry
from autograder.export import export_student

RUN = 3          # lines in a row that make a leak
MIN_TOKENS = 5   # shorter lines (return x, a = b) say too little to count
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def normalised(source):
    """The significant lines of `source`, each as its tokens with names replaced by `_`."""
    lines, current, previous = [], [], None
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []
    for token in tokens:
        if token.type in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER):
            if len(current) >= MIN_TOKENS:
                lines.append(" ".join(current))
            current = []
        elif token.type in (tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
            continue
        elif token.type == tokenize.NAME and not keyword.iskeyword(token.string) and previous != ".":
            current.append("_")
        else:
            current.append(token.string)
        if token.type not in (tokenize.NL, tokenize.COMMENT):
            previous = token.string
    return lines


def runs(lines):
    return {tuple(lines[i:i + RUN]) for i in range(len(lines) - RUN + 1)}


def answers(name):
    """({answer cell: its solution code}, the runs of the code given around the answers).

    Runs that the notebook itself gives students (a class's __init__ that a
    solution repeats, say) are no leak.
    """
    nb = json.loads((course.SOLUTIONS / name / f"{name}.ipynb").read_text())
    found, given = {}, set()
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and MARKERS[0] in source:
            before, rest = source.split(MARKERS[0], 1)
            inside, after = rest.split(MARKERS[1], 1)
            found[cell["metadata"]["nbgrader"]["grade_id"]] = _dedent(inside)
            given |= runs(normalised(_dedent(before))) | runs(normalised(_dedent(after)))
    return found, given


def _dedent(code):
    indent = min((len(line) - len(line.lstrip()) for line in code.splitlines() if line.strip()), default=0)
    return "\n".join(line[indent:] for line in code.splitlines())


def published_runs(folder):
    """Every run of normalised lines in the code of the published folder (.py files and notebook code cells)."""
    found = set()
    for path in folder.rglob("*"):
        if path.suffix == ".py" or path.name in ("postBuild", "start", "lab", "setup") and path.parent.name != ".git":
            found |= runs(normalised(path.read_text(errors="replace")))
        elif path.suffix == ".ipynb":
            for cell in json.loads(path.read_text())["cells"]:
                if cell["cell_type"] == "code":
                    found |= runs(normalised("".join(cell["source"])))
    return found


def test_normalising_finds_copies_with_other_names_and_spacing():
    answer = ("total = np.sum(values * weights, axis=0)\nscale = total / np.maximum(count, 1)\n"
              "return scale - offset * 2  # done")
    copy = "s=np.sum(v*w,axis=0)\nk =   s/np.maximum(n,1)\n\nreturn k - o*2"
    assert runs(normalised(answer)) == runs(normalised(copy)) != set()
    assert runs(normalised("x = np.mean(values, axis=1)\n" + answer)) & runs(normalised(copy))


@pytest.mark.parametrize("name", registry.names())
def test_no_answer_is_published_with_its_own_notebook(name, tmp_path):
    published = published_runs(export_student(tmp_path / "students", through=name))
    solutions, given = answers(name)
    leaks = {cell: sorted((runs(normalised(code)) - given) & published)[:1] for cell, code in solutions.items()}
    leaks = {cell: found for cell, found in leaks.items() if found}
    assert not leaks, f"answers of {name} are published with it: {leaks}"


def defined_classes(source):
    """{class name: the names of its methods} for every class defined in `source`."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # a notebook cell with IPython magics
        return {}
    return {node.name: frozenset(item.name for item in node.body if isinstance(item, ast.FunctionDef))
            for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}


def copies_of(classes, source):
    """Classes in `source` with the name and every method of one of `classes`: copies, whatever their bodies.

    A class that only shares a name (notebook 08's Linear is a layer of an
    autodiff engine, not notebook 06's Linear operation) has other methods.
    """
    return [name for name, methods in defined_classes(source).items()
            if name in classes and methods >= classes[name]]


def test_the_framework_is_written_once():
    """Notebook 06's classes live in autograder/published/framework.py; nothing else defines them again.

    (Notebook 06 itself, which asks students to write them, is the exception.)
    """
    framework = Path(autograder.published.framework.__file__)
    classes = defined_classes(framework.read_text())
    copies = []
    for path in course.REPO.glob("**/*"):
        if ".venv" in path.parts or ".git" in path.parts or path == framework or "06_building_blocks" in path.name:
            continue
        if path.name == framework.name and path.parent.parent in (course.COURSE, course.SOLUTIONS):
            continue  # its link in solutions/ and the copy nbgrader releases beside a notebook (test_registry)
        if path.suffix == ".py":
            copies += [(path, name) for name in copies_of(classes, path.read_text())]
        elif path.suffix == ".ipynb" and ".ipynb_checkpoints" not in path.parts:
            for cell in json.loads(path.read_text())["cells"]:
                if cell["cell_type"] == "code":
                    copies += [(path, name) for name in copies_of(classes, "".join(cell["source"]))]
    assert set(classes) >= {"Operation", "Dense", "NeuralNetwork", "Optimizer", "Trainer"}
    assert not copies, f"classes of autograder/published/framework.py defined again: {copies}"


def test_a_copy_of_a_framework_class_is_found_and_a_namesake_is_not():
    classes = defined_classes(Path(autograder.published.framework.__file__).read_text())
    dense = next(node for node in ast.walk(ast.parse(Path(autograder.published.framework.__file__).read_text()))
                 if isinstance(node, ast.ClassDef) and node.name == "Dense")
    assert copies_of(classes, ast.unparse(dense)) == ["Dense"]
    assert copies_of(classes, "class Dense:\n    def __call__(self, x):\n        return x\n") == []


def test_reference_modules_import_each_other_without_a_cycle():
    folder = course.REPO / "autograder" / "reference"
    imports = {}
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text())
        imports[path.stem] = {node.module.split(".")[-1] for node in ast.walk(tree)
                              if isinstance(node, ast.ImportFrom) and node.module
                              and (node.level == 1 or node.module.startswith("autograder.reference."))}
    visiting, done = set(), set()

    def visit(module, path):
        assert module not in visiting, f"import cycle: {' -> '.join(path + [module])}"
        if module in done:
            return
        visiting.add(module)
        for other in imports.get(module, ()):
            visit(other, path + [module])
        visiting.discard(module)
        done.add(module)

    for module in imports:
        visit(module, [])
