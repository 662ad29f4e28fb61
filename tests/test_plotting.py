"""The picture helpers of dlscratch.plotting that notebooks call directly (not through an explorer)."""
import numpy as np
import pytest

from dlscratch.plotting import show_confusion, show_images

PNG = b"\x89PNG\r\n\x1a\n"


def test_a_grid_of_images_is_a_png_that_depends_on_the_images_and_titles():
    images = np.random.default_rng(0).normal(size=(10, 28, 28))
    plain = show_images(images, [f"unit {k}" for k in range(10)], columns=4).data
    signed = show_images(images, [f"unit {k}" for k in range(10)], columns=4, signed=True).data
    retitled = show_images(images, [f"image {k}" for k in range(10)], columns=4).data
    assert all(picture.startswith(PNG) for picture in (plain, signed, retitled))
    assert len({plain, signed, retitled}) == 3


@pytest.mark.parametrize("images, titles, message", [
    (np.zeros((28, 28)), None, r"shape \(count, height, width\), got \(28, 28\)"),
    (np.zeros((0, 28, 28)), None, "non-empty"),
    (np.zeros((3, 5, 5)), ["a", "b"], "2 titles for 3 images"),
])
def test_wrong_input_gets_a_clear_error(images, titles, message):
    with pytest.raises(ValueError, match=message):
        show_images(images, titles)


def test_confusion_picture_changes_with_the_predictions():
    labels = np.array([0, 1, 2, 2, 1])
    right = show_confusion(labels, labels, ["a", "b", "c"]).data
    wrong = show_confusion(labels, np.array([0, 2, 2, 1, 1]), ["a", "b", "c"]).data
    assert right.startswith(PNG) and wrong.startswith(PNG) and right != wrong
