"""The convolution explorer (notebook 09), given right and wrong conv2d_forward answers written here.

The right answers are written in this file, a loop version and an einsum
one, so that the explorer is checked against an outside oracle rather than
against the reference package it must never call.
"""
import ipywidgets as widgets
import numpy as np
import pytest

from dlscratch.explore import convolution as cv
from dlscratch.explore.answers import Answer, AnswerNeeded
from test_explore import parts, picture_of

PNG = b"\x89PNG\r\n\x1a\n"


def conv2d_loops(x, w, b, stride=1, pad=0):
    """A right answer to the exercise: four loops over image, filter, row and column; returns (out, cache)."""
    n, _, h, width = x.shape
    f, _, kh, kw = w.shape
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho, wo = (h + 2 * pad - kh) // stride + 1, (width + 2 * pad - kw) // stride + 1
    out = np.empty((n, f, ho, wo))
    for i in range(n):
        for k in range(f):
            for r in range(ho):
                for c in range(wo):
                    window = padded[i, :, r * stride:r * stride + kh, c * stride:c * stride + kw]
                    out[i, k, r, c] = np.sum(window * w[k]) + b[k]
    return out, (x, w, b, stride, pad)


def conv2d_einsum(x, w, b, stride=1, padding=0):
    """Another right answer (stride 1 only), with the argument named `padding`, returning out alone."""
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, w.shape[2:], axis=(2, 3))
    return np.einsum("nchwij,fcij->nfhw", windows, w) + b[:, None, None]


def images(count=4, size=10, seed=0):
    """Small random grey images as uint8 pixels, the way load_images gives them."""
    return np.random.default_rng(seed).integers(0, 256, size=(count, size, size), dtype=np.uint8)


def control(box, description):
    """The one control of the explorer with this description."""
    found = [w for w in parts(box, widgets.ValueWidget) if getattr(w, "description", None) == description]
    assert len(found) == 1, description
    return found[0]


def kernel_cells(box):
    return [control(box, f"w[{i}, {j}]") for i in range(3) for j in range(3)]


CONV = Answer(conv2d_loops, "conv2d_forward", 3)


# The maths, apart from the widget

def test_presets_are_the_textbook_filters():
    assert set(cv.PRESETS) == {"identity", "vertical edge (Sobel x)", "horizontal edge (Sobel y)", "box blur",
                               "Gaussian blur", "sharpen"}
    assert all(k.shape == (3, 3) and np.abs(k).max() <= cv.WEIGHT_RANGE[1] for k in cv.PRESETS.values())
    np.testing.assert_array_equal(cv.PRESETS["horizontal edge (Sobel y)"], cv.PRESETS["vertical edge (Sobel x)"].T)
    for blur in ("box blur", "Gaussian blur", "identity", "sharpen"):
        assert cv.PRESETS[blur].sum() == pytest.approx(1.0)   # they keep a flat image's brightness


def test_images_become_floats_of_shape_n_h_w():
    pixels = images(2, 5)
    np.testing.assert_allclose(cv.as_images(pixels), pixels / 255)
    assert cv.as_images(pixels[0]).shape == (1, 5, 5)
    assert cv.as_images(pixels[:, None]).shape == (2, 5, 5)          # a channel axis of 1, as a CNN takes them
    with pytest.raises(ValueError, match=r"shape \(n, H, W\), got shape \(2, 3, 5, 5\)"):
        cv.as_images(np.zeros((2, 3, 5, 5)))


def test_the_receptive_field_is_the_zero_padded_window():
    image = np.arange(16.0).reshape(4, 4)
    np.testing.assert_array_equal(cv.receptive_field(image, 1, 2), image[0:3, 1:4])
    np.testing.assert_array_equal(cv.receptive_field(image, 0, 0), [[0, 0, 0], [0, 0, 1], [0, 4, 5]])


@pytest.mark.parametrize("conv2d", [conv2d_loops, conv2d_einsum])
@pytest.mark.parametrize("name", ["vertical edge (Sobel x)", "sharpen"])
def test_the_feature_map_is_the_students_and_equals_the_sum_of_products(conv2d, name):
    image = cv.as_images(images(1, 9))[0]
    kernel = cv.PRESETS[name]
    out = cv.feature_map(Answer(conv2d, "conv2d_forward", 3), image, kernel)
    assert out.shape == image.shape
    padded = np.pad(image, 1)
    for row, col in [(4, 3), (0, 0), (8, 5), (2, 8)]:
        assert out[row, col] == pytest.approx(np.sum(kernel * padded[row:row + 3, col:col + 3]), abs=1e-12)
        assert cv.agrees(out[row, col], kernel * cv.receptive_field(image, row, col))


def test_a_flipped_filter_disagrees_with_the_sum_of_products():
    """True convolution (a flipped kernel) is a common slip; the picture's title then says so in red."""
    image = cv.as_images(images(1, 9))[0]
    kernel = cv.PRESETS["vertical edge (Sobel x)"]
    flipped = Answer(lambda x, w, b, s, p: conv2d_loops(x, w[..., ::-1, ::-1], b, s, p), "conv2d_forward", 3)
    out = cv.feature_map(flipped, image, kernel)
    assert not cv.agrees(out[4, 4], kernel * cv.receptive_field(image, 4, 4))
    assert cv.draw(flipped, image, kernel, 4, 4).startswith(PNG)
    assert cv.agrees(np.float32(out[4, 4]), -kernel * cv.receptive_field(image, 4, 4))   # float32 rounding is fine


@pytest.mark.parametrize("conv2d, problem", [
    (lambda x, w, b, s, p: None, "returned None: did you forget a `return`?"),
    (lambda x, w, b, s, p: {"out": 1}, "returned dict, not the pair (out, cache)"),
    (lambda x, w, b, s, p: conv2d_loops(x, w, b, s, 0), "returned out of shape (1, 1, 8, 8) for one 1x10x10 image, "
                                                       "one 3x3 filter and pad=1, not (1, 1, 10, 10)"),
    (lambda x, w, b, s, p: (conv2d_loops(x, w, b, s, p)[0][0], None), "returned out of shape (1, 10, 10)"),
    (lambda x, w, b, s, p: ("out", None), "returned an out of type str, not an array"),
    (lambda x, w, b: conv2d_loops(x, w, b), "raised TypeError"),
])
def test_a_result_of_the_wrong_kind_is_one_sentence_naming_the_exercise(conv2d, problem):
    with pytest.raises(AnswerNeeded) as caught:
        cv.feature_map(Answer(conv2d, "conv2d_forward", 3), cv.as_images(images(1))[0], cv.PRESETS["identity"])
    message = str(caught.value)
    assert message.startswith("Your conv2d_forward (Exercise 3) ") and problem in message


# The widget

def test_the_explorer_draws_the_students_feature_map_and_redraws_when_the_position_moves():
    box = cv.convolution_explorer(images(), conv2d_loops)
    first, note = picture_of(box)
    assert first.startswith(PNG) and not note
    control(box, "output row").value = 2
    moved = picture_of(box)[0]
    assert moved.startswith(PNG) and moved != first
    control(box, "output column").value = 9
    assert picture_of(box)[0] not in (first, moved)
    control(box, "image").value = 3
    assert picture_of(box)[0] != moved


def test_position_and_image_sliders_fit_the_images_and_report_only_when_let_go():
    box = cv.convolution_explorer(images(count=6, size=12), conv2d_loops)
    assert control(box, "image").max == 5
    assert (control(box, "output row").max, control(box, "output column").max) == (11, 11)
    sliders = parts(box, (widgets.IntSlider, widgets.FloatSlider))
    assert len(sliders) == 12 and all(s.continuous_update is False for s in sliders)


def test_choosing_a_preset_sets_the_nine_weights_and_redraws_once():
    box = cv.convolution_explorer(images(), conv2d_loops)
    before = picture_of(box)[0]
    drawn = []
    parts(box, widgets.Image)[0].observe(lambda change: drawn.append(change), names="value")
    control(box, "filter").value = "Gaussian blur"
    np.testing.assert_allclose([c.value for c in kernel_cells(box)], cv.PRESETS["Gaussian blur"].ravel())
    assert len(drawn) == 1 and picture_of(box)[0] != before


def test_moving_a_weight_makes_the_filter_custom_and_keeps_the_other_weights():
    box = cv.convolution_explorer(images(), conv2d_loops)
    choose, cells = control(box, "filter"), kernel_cells(box)
    choose.value = "box blur"
    before = picture_of(box)[0]
    cells[4].value = 2.0
    assert choose.value == cv.CUSTOM
    expected = np.full(9, 1 / 9)
    expected[4] = 2.0
    np.testing.assert_allclose([c.value for c in cells], expected)
    assert picture_of(box)[0] != before
    choose.value = "identity"                                   # and a preset still takes over afterwards
    np.testing.assert_array_equal([c.value for c in cells], cv.PRESETS["identity"].ravel())


def test_class_names_label_the_image():
    box = cv.convolution_explorer(images(), conv2d_loops, labels=np.array([2, 0, 1, 2]),
                                  class_names=("T-shirt/top", "Trouser", "Pullover"))
    assert picture_of(box)[0].startswith(PNG)
    named = cv.convolution_explorer(images(), conv2d_loops, labels=np.array([1, 0, 1, 2]),
                                    class_names=("T-shirt/top", "Trouser", "Pullover"))
    assert picture_of(named)[0] != picture_of(box)[0]           # the same image, another title


def not_yet(x, w, b, stride=1, pad=0):
    raise NotImplementedError


@pytest.mark.parametrize("conv2d, message", [
    (None, "conv2d_forward is missing: answer Exercise 3, run its cell, then run this cell again."),
    (not_yet, "Answer Exercise 3 (conv2d_forward) first, run its cell, then run this cell again."),
    (lambda x, w, b, s, p: (x[:, :, 1:-1, 1:-1], None), "Your conv2d_forward (Exercise 3) returned out of shape "
                                                       "(1, 1, 8, 8)"),
])
def test_a_missing_or_broken_answer_is_shown_instead_of_the_picture_and_the_controls_still_work(conv2d, message):
    box = cv.convolution_explorer(images(), conv2d)
    image, note = picture_of(box)
    assert message in note and not image
    assert parts(box, widgets.Image)[0].layout.display == "none"
    control(box, "filter").value = "sharpen"
    np.testing.assert_array_equal([c.value for c in kernel_cells(box)], cv.PRESETS["sharpen"].ravel())
    control(box, "output row").value = 1
    assert message in picture_of(box)[1]


def test_the_exercise_number_is_the_notebooks():
    assert "answer Exercise 7" in picture_of(cv.convolution_explorer(images(), None, exercise=7))[1]


# Pictures after training

def test_show_filters_draws_any_number_of_grey_filters():
    rng = np.random.default_rng(1)
    for count in (1, 5, 16):
        picture = cv.show_filters(rng.normal(size=(count, 1, 3, 3)))
        assert picture.data.startswith(PNG)
    assert cv.show_filters(rng.normal(size=(4, 5, 5))).data.startswith(PNG)
    with pytest.raises(ValueError, match=r"\(F, 1, kh, kw\), got shape \(4, 3, 3, 3\)"):
        cv.show_filters(rng.normal(size=(4, 3, 3, 3)))


def test_show_feature_maps_draws_signed_and_rectified_maps_with_or_without_the_image():
    rng = np.random.default_rng(2)
    maps = rng.normal(size=(6, 10, 10))
    plain, rectified = cv.show_feature_maps(maps), cv.show_feature_maps(np.maximum(maps, 0))
    with_image = cv.show_feature_maps(maps[None], image=images(1)[0])
    assert all(p.data.startswith(PNG) for p in (plain, rectified, with_image))
    assert len({plain.data, rectified.data, with_image.data}) == 3
    with pytest.raises(ValueError, match=r"\(F, H, W\), got shape \(10, 10\)"):
        cv.show_feature_maps(maps[0])
