"""The maths behind notebook 05's hidden-units explorer, and that its widget redraws."""
import numpy as np
import pytest

from dlscratch.explore import neural_network as explorer

PNG = b"\x89PNG\r\n\x1a\n"


def _random_params(rng, n_hidden):
    return {"W1": rng.normal(size=(1, n_hidden)), "B1": rng.normal(size=(1, n_hidden)),
            "W2": rng.normal(size=(n_hidden, 1)), "B2": rng.normal(size=(1, 1))}


@pytest.mark.parametrize("n_hidden", [1, 3, 5])
def test_the_curve_is_the_matrix_forward_pass(n_hidden):
    rng = np.random.default_rng(n_hidden)
    params = _random_params(rng, n_hidden)
    x = np.linspace(-3, 3, 25)
    hidden = 1 / (1 + np.exp(-(x[:, None] @ params["W1"] + params["B1"])))
    expected = (hidden @ params["W2"] + params["B2"]).ravel()
    np.testing.assert_allclose(explorer.network_curve(x, params), expected, rtol=1e-12)
    parts = explorer.unit_contributions(x, params)
    assert parts.shape == (25, n_hidden)
    np.testing.assert_allclose(parts[:, 0], params["W2"][0, 0] * hidden[:, 0], rtol=1e-12)


def test_each_unit_is_a_scaled_shifted_sigmoid():
    params = {"W1": np.array([[2.0]]), "B1": np.array([[-4.0]]), "W2": np.array([[3.0]]), "B2": np.array([[0.0]])}
    # The S-shape is centred where w x + b = 0, i.e. x = 2, at half its height v / 2,
    # and climbs from 0 (far left) to v (far right).
    parts = explorer.unit_contributions(np.array([2.0, -50.0, 50.0]), params)[:, 0]
    np.testing.assert_allclose(parts, [1.5, 0.0, 3.0], atol=1e-12)


def test_defaults_fit_the_toy_data_far_better_than_a_line():
    x, y = explorer.toy_data()
    assert x.shape == y.shape == (60,) and np.all(np.diff(x) >= 0)
    slope, intercept = explorer.best_line(x, y)
    np.testing.assert_allclose([slope, intercept], np.polyfit(x, y, 1), rtol=1e-9)
    network = explorer.mean_squared_error(explorer.network_curve(x, explorer.DEFAULT_PARAMS), y)
    line = explorer.mean_squared_error(slope * x + intercept, y)
    assert network < 0.03 < 0.25 < line


def test_picture_is_png_and_follows_the_weights():
    a = explorer.draw(explorer.DEFAULT_PARAMS, highlight=0)
    moved = {k: v.copy() for k, v in explorer.DEFAULT_PARAMS.items()}
    moved["W1"][0, 1] = -4.0
    b = explorer.draw(moved, highlight=0)
    assert a.startswith(PNG) and b.startswith(PNG) and a != b


def test_widget_redraws_and_updates_the_network_when_a_slider_moves():
    box = explorer.hidden_units_explorer()
    (unit, weight), (bias, out) = box.children[0].children, box.children[1].children
    picture = box.children[2]
    before = bytes(picture.value)
    out.value = -1.0
    assert bytes(picture.value) != before and bytes(picture.value).startswith(PNG)
    assert box.params["W2"][0, 0] == -1.0
    assert explorer.DEFAULT_PARAMS["W2"][0, 0] == -2.5      # the defaults stay as they were


def test_choosing_a_unit_shows_its_weights_even_outside_the_default_ranges():
    params = {"W1": np.array([[1.0, 20.0]]), "B1": np.array([[0.5, -30.0]]),
              "W2": np.array([[1.0], [2.0]]), "B2": np.array([[0.0]])}
    box = explorer.hidden_units_explorer(params)
    (unit, weight), (bias, out) = box.children[0].children, box.children[1].children
    unit.value = 1
    assert (weight.value, bias.value, out.value) == (20.0, -30.0, 2.0)
    np.testing.assert_array_equal(box.params["W1"], [[1.0, 20.0]])   # switching units changes nothing
    assert params["B1"][0, 1] == -30.0
