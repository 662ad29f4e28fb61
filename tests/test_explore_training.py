"""The momentum-and-schedule explorer (notebook 07), given right and wrong answers, and that its widget redraws."""
import numpy as np
import pytest

from autograder.reference.training import adam_update, lr_schedule
from dlscratch.explore import training as tr
from dlscratch.explore.answers import Answer, AnswerNeeded
from autograder.published.gradcheck import numerical_gradient

PNG = b"\x89PNG\r\n\x1a\n"


def momentum_update(param, grad, velocity, lr, momentum):
    """A right answer to Exercise 5."""
    velocity *= momentum
    velocity += lr * grad
    param -= velocity


UPDATE = Answer(momentum_update, "momentum_update", 5, returns=False)
SCHEDULE = Answer(lr_schedule, "lr_schedule", 7)


def descend(lr, momentum=0.0, decay_type=None, final_lr=None, steps=100, noise=0.0, seed=0):
    """The explorer's path, with right answers for the update and the schedule."""
    return tr.descend(UPDATE, tr.learning_rates(SCHEDULE, lr, final_lr, decay_type, steps), momentum, noise, seed)


def draw(*args):
    return tr.draw(UPDATE, SCHEDULE, *args)


def test_gradient_matches_a_numerical_gradient():
    for point in [(0.3, -1.2), (-4.0, 1.0), (2.5, 0.01)]:
        numeric = numerical_gradient(lambda w: float(tr.loss(w)), np.array(point))
        np.testing.assert_allclose(tr.gradient(point), numeric, rtol=1e-7)


def test_loss_broadcasts_over_grids_and_is_zero_only_at_the_origin():
    grid = np.stack(np.meshgrid(np.linspace(-1, 1, 5), np.linspace(-2, 2, 3)), axis=-1)
    surface = tr.loss(grid)
    assert surface.shape == (3, 5)
    assert surface[1, 2] == 0 and (np.delete(surface.ravel(), 7) > 0).all()


@pytest.mark.parametrize("decay_type", tr.DECAY_TYPES)
def test_learning_rates_are_the_students_schedule(decay_type):
    final_lr = None if decay_type is None else 0.03
    rates = tr.learning_rates(SCHEDULE, 0.2, final_lr, decay_type, 7)
    np.testing.assert_array_equal(rates, lr_schedule(0.2, final_lr, decay_type, 7))


def test_a_schedule_of_the_wrong_length_is_named():
    off_by_one = Answer(lambda lr, final_lr, decay_type, epochs: np.full(epochs - 1, lr), "lr_schedule", 7)
    with pytest.raises(AnswerNeeded, match=r"Your lr_schedule \(Exercise 7\) returned rates of shape \(9,\) for 10"):
        tr.learning_rates(off_by_one, 0.1, None, None, 10)


@pytest.mark.parametrize("wrong, name", [
    ("velocity = momentum * velocity + lr * grad\n    param = param - velocity", "param"),
    ("velocity = momentum * velocity + lr * grad\n    param -= velocity", "velocity"),
])
def test_an_update_that_is_not_in_place_is_named(wrong, name):
    namespace = {}
    exec(f"def momentum_update(param, grad, velocity, lr, momentum):\n    {wrong}\n", namespace)
    update = Answer(namespace["momentum_update"], "momentum_update", 5, returns=False)
    with pytest.raises(AnswerNeeded, match=f"left {name} unchanged: change param and velocity in place"):
        tr.descend(update, np.full(5, 0.01), momentum=0.9)


def test_plain_descent_follows_the_closed_form():
    """Without momentum or noise each coordinate shrinks by (1 - lr c) per step."""
    path = descend(0.03, steps=40)
    k = np.arange(41)[:, None]
    np.testing.assert_allclose(path, np.array(tr.START) * (1 - 0.03 * tr.CURVATURES) ** k, rtol=1e-10)


def test_momentum_step_by_hand():
    """Two steps of v <- m v + lr g, w <- w - v, worked out separately."""
    lr, m = 0.01, 0.9
    w0 = np.array(tr.START)
    v1 = lr * tr.gradient(w0)
    w1 = w0 - v1
    v2 = m * v1 + lr * tr.gradient(w1)
    np.testing.assert_allclose(descend(lr, m, steps=2), [w0, w1, w1 - v2], rtol=1e-12)


@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_stability_limit_separates_convergence_from_divergence(momentum):
    limit = tr.stability_limit(momentum)
    assert tr.loss(descend(0.95 * limit, momentum, steps=3000)[-1]) < 1e-6
    path = descend(1.05 * limit, momentum, steps=3000)
    assert len(path) < 3001 and np.abs(path[-1]).max() >= tr.BLOW_UP


def test_momentum_crosses_the_valley_faster():
    """At a learning rate that crawls along the shallow direction, momentum reaches a low loss much sooner."""
    def steps_to(loss_level, momentum):
        return int(np.argmax(tr.loss(descend(0.02, momentum, steps=500)) < loss_level))

    assert steps_to(1e-4, 0.8) * 4 < steps_to(1e-4, 0.0)


def test_decay_settles_below_the_noise_floor():
    """With noisy gradients a constant rate hovers; a decaying one ends lower (mean over seeds)."""
    def final_loss(decay_type):
        return np.mean([tr.loss(descend(0.05, 0.5, decay_type, 0.005, 200, noise=1.0, seed=s)[-20:]).mean()
                        for s in range(20)])

    assert final_loss("exponential") * 3 < final_loss(None)
    assert final_loss("linear") < final_loss(None)


def test_noise_is_reproducible_and_changes_with_the_seed():
    a, b = descend(0.05, 0.5, noise=1.0, seed=3), descend(0.05, 0.5, noise=1.0, seed=3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, descend(0.05, 0.5, noise=1.0, seed=4))


def test_unknown_schedule_is_refused():
    with pytest.raises(ValueError, match="decay_type"):
        tr.learning_rates(SCHEDULE, 0.1, 0.01, "cosine", 10)


def test_pictures_are_png_and_change_with_the_controls():
    pictures = [draw(0.02), draw(0.02, 0.8), draw(0.02, 0.8, "linear"), draw(0.02, 0.8, "linear", 0.5),
                draw(0.02, 0.8, "linear", 0.5, 1.0), draw(0.02, 0.8, "linear", 0.5, 1.0, 50), draw(0.2)]
    assert all(p.startswith(PNG) for p in pictures)
    assert len(set(pictures)) == len(pictures)


def test_widget_redraws_when_a_control_moves():
    box = tr.momentum_explorer(momentum_update, lr_schedule)
    (rate, momentum, steps), (decay, final, noise) = (row.children for row in box.children[:2])
    picture = box.children[2].children[1]
    seen = [bytes(picture.value)]
    for control, value in ((rate, 0.05), (momentum, 0.9), (steps, 50), (decay, "exponential"), (final, 0.3),
                           (noise, 1.5)):
        control.value = value
        seen.append(bytes(picture.value))
        assert seen[-1].startswith(PNG) and seen[-1] != seen[-2]


ADAM = Answer(adam_update, "adam_update", 11, returns=False)


def test_adams_first_step_moves_every_coordinate_by_the_learning_rate():
    path = tr.descend_adam(ADAM, 0.1, steps=3)
    np.testing.assert_allclose(path[1] - path[0], [0.1, -0.1], rtol=1e-6)
    assert tr.loss(tr.descend_adam(ADAM, 0.1, steps=100)[-1]) < 1e-3 < tr.loss(tr.descend_adam(ADAM, 0.01)[-1])


def test_adams_path_follows_the_students_update_and_the_same_noise():
    def no_correction(param, grad, m, v, step, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        adam_update(param, grad, m, v, 1, lr, beta1, beta2, eps)   # the bias correction of step 1 every time
    theirs = tr.descend_adam(Answer(no_correction, "adam_update", 11, returns=False), 0.1, 20)
    assert not np.allclose(theirs, tr.descend_adam(ADAM, 0.1, 20))
    noisy = tr.descend_adam(ADAM, 0.1, 20, noise=1.0)
    np.testing.assert_array_equal(noisy, tr.descend_adam(ADAM, 0.1, 20, noise=1.0))
    assert not np.allclose(noisy, tr.descend_adam(ADAM, 0.1, 20))


def test_an_adam_update_that_changes_nothing_in_place_is_named():
    def rebinds(param, grad, m, v, step, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        param = param - lr * np.sign(grad)
    with pytest.raises(AnswerNeeded, match=r"Your adam_update \(Exercise 11\) left param unchanged"):
        tr.descend_adam(Answer(rebinds, "adam_update", 11, returns=False), 0.1)


def test_widget_with_adam_redraws_when_adams_rate_moves():
    box = tr.momentum_explorer(momentum_update, lr_schedule, adam_update=adam_update)
    adam_rate, picture = box.children[2], box.children[3].children[1]
    before = bytes(picture.value)
    adam_rate.value = 0.5
    assert bytes(picture.value).startswith(PNG) and bytes(picture.value) != before
