"""OUT/grades-lms.csv: the class's notebook totals in the form Canvas's gradebook import reads.

Canvas expects the columns of its own gradebook export: Student, ID, SIS User
ID, SIS Login ID and Section, then one column per assignment, and under the
header a "Points Possible" row that gives each assignment's maximum. It
matches a row to a student by any one of ID, SIS User ID or SIS Login ID; the
grader knows students only by their folder names, so these go in SIS Login
ID (and in Student, for the eye): name the folders by the students' logins.
A new column creates that assignment in Canvas, an existing one (same name)
is updated.
"""
import csv

IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS_POSSIBLE = "    Points Possible"  # as Canvas writes it in its own export


def write_canvas(rows, students, names, path, safe=str):
    """One row per student, one column per notebook (its total points), from grades.csv's `rows`."""
    got, exercises = {}, {}
    for row in rows:
        key = (row["student"], row["notebook"])
        got[key] = got.get(key, 0.0) + row["points"]
        exercises[row["notebook"], row["exercise"]] = row["max_points"]
    most = {}
    for (name, _), points in exercises.items():
        most[name] = most.get(name, 0.0) + points
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(IDENTITY + names)
        writer.writerow([POINTS_POSSIBLE, "", "", "", ""] + [_number(most.get(name, 0.0)) for name in names])
        for student in students:
            writer.writerow([safe(student), "", "", safe(student), ""]
                            + [_number(got.get((student, name), 0.0)) for name in names])


def _number(value):
    return f"{round(value, 2):g}"
