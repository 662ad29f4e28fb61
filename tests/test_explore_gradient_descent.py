"""The maths of the gradient-descent explorer (notebook 04), and that its widget redraws."""
import numpy as np
import pytest

from dlscratch.explore import gradient_descent as gd
from autograder.published.gradcheck import numerical_gradient

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(params=[False, True], ids=["raw", "standardised"])
def data(request):
    x, y = gd.make_data()
    return (gd.standardise(x) if request.param else x), y


def test_data_are_not_standardised_until_asked():
    x, _ = gd.make_data()
    assert 1.5 < x.mean() < 2.5
    assert gd.standardise(x).mean() == pytest.approx(0, abs=1e-12)
    assert gd.standardise(x).std() == pytest.approx(1)


def test_loss_surface_broadcasts_over_grids(data):
    x, y = data
    w, b = np.meshgrid(np.linspace(-1, 3, 4), np.linspace(0, 2, 3))
    surface = gd.loss_surface(w, b, x, y)
    assert surface.shape == (3, 4)
    assert surface[1, 2] == pytest.approx(np.mean((w[1, 2] * x + b[1, 2] - y) ** 2))


def test_gradient_matches_a_numerical_gradient(data):
    x, y = data
    for point in [(0.3, -1.2), (2.5, 4.0), (-1.0, 6.0)]:
        numeric = numerical_gradient(lambda p: float(gd.loss_surface(p[0], p[1], x, y)), np.array(point))
        np.testing.assert_allclose(gd.gradient(*point, x, y), numeric, rtol=1e-7)


def test_hessian_matches_differences_of_gradients(data):
    x, y = data
    h = 1e-4
    columns = []
    for dw, db in [(h, 0), (0, h)]:
        up = np.array(gd.gradient(0.5 + dw, 1.0 + db, x, y))
        down = np.array(gd.gradient(0.5 - dw, 1.0 - db, x, y))
        columns.append((up - down) / (2 * h))
    np.testing.assert_allclose(np.stack(columns, axis=1), gd.hessian(x), rtol=1e-6, atol=1e-9)


def test_best_fit_is_where_the_gradient_vanishes(data):
    x, y = data
    w, b = gd.best_fit(x, y)
    np.testing.assert_allclose(gd.gradient(w, b, x, y), 0, atol=1e-10)
    assert gd.loss_surface(w, b, x, y) < gd.loss_surface(w + 0.01, b - 0.01, x, y)


def test_descent_below_the_limit_reaches_the_least_squares_line(data):
    x, y = data
    limit = gd.stability_limit(x)
    path = gd.descend(x, y, 0.9 * limit, 2000)
    assert path.shape == (2001, 2)
    np.testing.assert_array_equal(path[0], gd.START)
    np.testing.assert_allclose(path[-1], gd.best_fit(x, y), rtol=1e-6)
    losses = gd.loss_surface(path[:, 0], path[:, 1], x, y)
    assert np.all(np.diff(losses) <= 1e-12)   # on a quadratic bowl, below the limit, every step helps


def test_descent_above_the_limit_diverges_and_stops(data):
    x, y = data
    path = gd.descend(x, y, 1.1 * gd.stability_limit(x), 10_000)
    assert len(path) < 10_001
    assert max(abs(path[-1])) >= gd.BLOW_UP


def test_standardising_rounds_the_bowl():
    x, _ = gd.make_data()
    raw, scaled = np.linalg.eigvalsh(gd.hessian(x)), np.linalg.eigvalsh(gd.hessian(gd.standardise(x)))
    assert raw.max() / raw.min() > 10
    np.testing.assert_allclose(scaled, [2, 2])
    assert gd.stability_limit(gd.standardise(x)) == pytest.approx(1)
    assert gd.stability_limit(x) < 0.3


def test_pictures_are_png_and_change_with_the_controls():
    pictures = [gd.draw(0.05, 20), gd.draw(0.05, 40), gd.draw(0.3, 20), gd.draw(0.05, 20, standardised=True)]
    assert all(p.startswith(PNG) for p in pictures)
    assert len(set(pictures)) == len(pictures)


def test_widget_redraws_when_a_control_moves():
    box = gd.descent_explorer()
    (rate, steps, scale), picture = box.children[0].children, box.children[1]
    seen = [bytes(picture.value)]
    for control, value in ((rate, 0.3), (steps, 5), (scale, True)):
        control.value = value
        seen.append(bytes(picture.value))
        assert seen[-1].startswith(PNG) and seen[-1] != seen[-2]
