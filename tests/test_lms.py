"""OUT/grades-lms.csv (autograder/lms.py) is a file Canvas's gradebook import reads."""
import csv

import pytest

from autograder import lms, registry

CANVAS_IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def read(path):
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


def check_canvas_layout(table, names):
    """What Canvas's import needs: its identity columns, a column per assignment, the Points Possible row."""
    header, possible = table[0], table[1]
    assert header == CANVAS_IDENTITY + names
    assert possible[0].strip() == "Points Possible" and possible[1:5] == ["", "", "", ""]
    assert all(len(row) == len(header) for row in table)
    for row in table[2:]:
        assert row[3] and row[0] == row[3], "each student is matched by SIS Login ID"
        assert all(float(value) >= 0 for value in row[5:])


def test_the_class_totals_go_to_canvas_one_row_per_student(graded):
    table = read(graded.out / "grades-lms.csv")
    names = registry.names()
    check_canvas_layout(table, names)
    assert [float(value) for value in table[1][5:]] == pytest.approx([graded.maximum(name) for name in names])
    students = {student for student, _ in graded.rows}
    assert sorted(row[3] for row in table[2:]) == sorted(students)
    for row in table[2:]:
        for name, value in zip(names, row[5:]):
            assert float(value) == pytest.approx(graded.total(row[3], name), abs=0.006), (row[3], name)


def test_a_handmade_class(tmp_path):
    rows = [{"student": s, "notebook": n, "exercise": e, "points": p, "max_points": m}
            for s, n, e, p, m in [("amy", "01_a", "x", 1.5, 2.0), ("amy", "01_a", "y", 1.0, 1.0),
                                  ("amy", "02_b", "z", 0.0, 4.0), ("=bob", "01_a", "x", 2.0, 2.0),
                                  ("=bob", "01_a", "y", 0.0, 1.0), ("=bob", "02_b", "z", 1 / 3, 4.0)]]
    path = tmp_path / "grades-lms.csv"
    lms.write_canvas(rows, ["amy", "=bob"], ["01_a", "02_b"], path, safe=lambda s: "'" + s if s[0] == "=" else s)
    table = read(path)
    check_canvas_layout(table, ["01_a", "02_b"])
    assert table[1][5:] == ["3", "4"]
    assert table[2] == ["amy", "", "", "amy", "", "2.5", "0"]
    assert table[3] == ["'=bob", "", "", "'=bob", "", "2", "0.33"], "a formula-like id is written as text"
