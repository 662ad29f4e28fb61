"""The LSTM-gates explorer (notebook 11), given right and wrong lstm_step_forward written here.

The right answers are written in this file, so that the explorer is checked
against an outside oracle rather than against the reference package it must
never call: one with the four gates from one fused product, and one that
works each gate out from its own column slices in float32. The "trained"
model is random but for one cell, built to wipe its memory at every newline,
so that the ranking of interesting cells has a right answer.
"""
import ipywidgets as widgets
import numpy as np
import pytest

from dlscratch.explore import gates as gt
from dlscratch.explore.answers import Answer, AnswerNeeded
from test_explore import parts, picture_of

PNG = b"\x89PNG\r\n\x1a\n"
TEXT = ("HAMLET. To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n"
        "The slings and arrows of outrageous fortune,\nOr to take arms against a sea of troubles\n")
VOCAB = "".join(sorted(set(TEXT)))
HIDDEN, EMBED = 6, 5
NEWLINE_CELL = 2     # the cell whose forget gate closes at each newline


def encode(text):
    return np.array([VOCAB.index(char) for char in text], dtype=np.int64)


def trained(dtype=np.float64, seed=0):
    """A character model's parameters: small random weights, and one cell that forgets at each newline.

    Feature 0 of the embedding is 1 for a newline only; it pulls cell 2's
    forget gate far below 0, whose bias otherwise keeps it near 1.
    """
    rng = np.random.default_rng(seed)
    params = {"W_embed": 0.5 * rng.standard_normal((len(VOCAB), EMBED)),
              "Wx": 0.3 * rng.standard_normal((EMBED, 4 * HIDDEN)),
              "Wh": 0.3 * rng.standard_normal((HIDDEN, 4 * HIDDEN)),
              "b": 0.1 * rng.standard_normal(4 * HIDDEN),
              "W_out": rng.standard_normal((HIDDEN, len(VOCAB))), "b_out": np.zeros(len(VOCAB))}
    params["W_embed"][:, 0] = 0.0
    params["W_embed"][VOCAB.index("\n"), 0] = 1.0
    params["Wx"][0] = 0.0
    params["Wx"][0, HIDDEN + NEWLINE_CELL] = -14.0
    params["Wh"][:, HIDDEN + NEWLINE_CELL] = 0.0
    params["b"][HIDDEN + NEWLINE_CELL] = 5.0
    return {name: value.astype(dtype) for name, value in params.items()}


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    """A right answer: one product, four column blocks in the order i, f, g, o."""
    a = x @ Wx + h_prev @ Wh + b
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    c = f * c_prev + i * g
    h = o * np.tanh(c)
    return h, c, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, c)


def lstm_step_forward_float32(x, h_prev, c_prev, Wx, Wh, b):
    """Another right answer: each gate from its own slices of the weights, in float32, sigmoid through tanh."""
    x, h_prev, c_prev, Wx, Wh, b = (np.asarray(v, np.float32) for v in (x, h_prev, c_prev, Wx, Wh, b))
    size = Wh.shape[0]

    def block(k):
        columns = slice(k * size, (k + 1) * size)
        return x @ Wx[:, columns] + h_prev @ Wh[:, columns] + b[columns]

    i, f, o = (0.5 + 0.5 * np.tanh(0.5 * block(k)) for k in (0, 1, 3))
    g = np.tanh(block(2))
    c = f * c_prev + i * g
    return o * np.tanh(c), c, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, c)


def oracle(params, text, step=lstm_step_forward):
    """The gates and states of the text, stepped through here: (f, i, o, c, h), each (T, H)."""
    h = c = np.zeros((1, HIDDEN))
    seen = []
    for char_id in encode(text):
        h, c, cache = step(params["W_embed"][[char_id]], h, c, params["Wx"], params["Wh"], params["b"])
        seen.append((cache[6][0], cache[5][0], cache[8][0], c[0], h[0]))
    return [np.array(column) for column in zip(*seen)]


STEP = Answer(lstm_step_forward, "lstm_step_forward", 1)


def activations(text=TEXT, step=STEP, dtype=np.float64):
    return gt.record(step, trained(dtype), text, encode)


def control(box, description):
    """The one control of the explorer with this description."""
    found = [w for w in parts(box, widgets.ValueWidget) if getattr(w, "description", None) == description]
    assert len(found) == 1, description
    return found[0]


# The model and the text, before the student's function runs

@pytest.mark.parametrize("change, message", [
    (lambda p: p.pop("Wh"), "params lacks Wh"),
    (lambda p: p.update(b=np.zeros(3 * HIDDEN)), "an LSTM's parameters are W_embed (V, D), Wx (D, 4H)"),
    (lambda p: p.update(Wx=np.zeros((EMBED + 1, 4 * HIDDEN))), f"got ({len(VOCAB)}, 5), (6, 24), (6, 24) and (24,)"),
])
def test_a_model_that_is_not_an_lstm_is_refused_at_once(change, message):
    params = trained()
    change(params)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        gt.check_model(params, TEXT, encode)


@pytest.mark.parametrize("text, coder, message", [
    ("", encode, "text must be a string of 1 to 480 characters, got 0"),
    ("a" * 481, encode, "got 481: pass a slice such as data.valid[:300]"),
    (encode("the"), encode, "got ndarray"),
    ("the", lambda t: encode(t)[:2], "one integer id per character, got int64 of shape (2,)"),
    ("the", lambda t: encode(t) + 0.5, "got float64"),
    ("the", lambda t: encode(t) + len(VOCAB), f"but W_embed has {len(VOCAB)} rows: is it the model's own encoder?"),
])
def test_a_text_the_model_cannot_read_is_refused_at_once(text, coder, message):
    with pytest.raises(ValueError) as caught:
        gt.check_model(trained(), text, coder)
    assert message in str(caught.value)


def test_the_output_layer_is_not_needed():
    params = trained()
    del params["W_out"], params["b_out"]
    ids, hidden = gt.check_model(params, TEXT, encode)
    np.testing.assert_array_equal(ids, encode(TEXT))
    assert hidden == HIDDEN


# The activations the explorer collects

@pytest.mark.parametrize("answer", [lstm_step_forward, lstm_step_forward_float32])
def test_the_activations_are_the_students_step_by_step_run(answer):
    run = activations(step=Answer(answer, "lstm_step_forward", 1))
    forget, input_gate, output, cell, hidden = oracle(trained(), TEXT)
    assert run.text == TEXT and run.forget.shape == (len(TEXT), HIDDEN)
    tolerance = 1e-12 if answer is lstm_step_forward else 1e-5
    for got, expected in ((run.forget, forget), (run.input, input_gate), (run.output, output), (run.cell, cell),
                          (run.hidden, hidden)):
        assert got.dtype == np.float64
        np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance)


def test_each_step_gets_an_embedding_row_and_the_state_the_step_before_returned():
    calls = []

    def spy(x, h_prev, c_prev, Wx, Wh, b):
        calls.append((x.copy(), h_prev.copy(), c_prev.copy()))
        return lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)

    run = activations("To be", Answer(spy, "lstm_step_forward", 1))
    params = trained()
    assert len(calls) == 5
    assert not calls[0][1].any() and not calls[0][2].any()                 # from h = c = 0
    for t, (x, h_prev, c_prev) in enumerate(calls):
        np.testing.assert_array_equal(x, params["W_embed"][[encode("To be")[t]]])    # a batch of one: (1, D)
        if t:
            np.testing.assert_array_equal(h_prev[0], run.hidden[t - 1])
            np.testing.assert_array_equal(c_prev[0], run.cell[t - 1])


def test_float32_parameters_reach_the_students_function_as_float32_and_give_the_same_gates():
    dtypes = set()

    def spy(*args):
        dtypes.update(np.asarray(a).dtype for a in args)
        return lstm_step_forward(*args)

    run = activations(step=Answer(spy, "lstm_step_forward", 1), dtype=np.float32)
    assert dtypes == {np.dtype(np.float32)}
    np.testing.assert_allclose(run.forget, activations().forget, atol=1e-5)


def test_the_cell_built_to_forget_at_newlines_does_so_and_ranks_first():
    run = activations()
    newlines = np.array([char == "\n" for char in TEXT])
    assert np.all(run.forget[newlines, NEWLINE_CELL] < 1e-3)
    assert np.all(run.forget[~newlines, NEWLINE_CELL] > 0.98)
    assert gt.interesting_cells(run)[0] == NEWLINE_CELL
    assert sorted(gt.interesting_cells(run)) == list(range(HIDDEN))


def test_interesting_cells_rank_by_variance_of_the_chosen_gate_ties_by_index():
    flat = np.zeros((4, 3))
    run = gt.Activations("abcd", flat, np.array([[0, 0.5, 0.4]] * 2 + [[1, 0.5, 0.6]] * 2), flat, flat, flat)
    assert list(gt.interesting_cells(run, "input")) == [0, 2, 1]
    assert list(gt.interesting_cells(run, "input", count=2)) == [0, 2]
    assert list(gt.interesting_cells(run, "forget")) == [0, 1, 2]


# The strip of characters

def test_the_strip_colours_each_box_by_its_value_and_outlines_the_chosen_one():
    text = "ab\ncd " * 12                                  # 72 characters: two rows, the second part empty
    lettering = gt.Lettering(text)
    width, height = gt.CELL
    assert lettering.rows == 2 and lettering.ink.shape == (2 * height, gt.COLUMNS * width, 1)
    values = np.linspace(0, 1, len(text))
    image = lettering.paint(values, position=61)
    assert image.shape == (2 * height, gt.COLUMNS * width, 3) and image.dtype == np.uint8
    for k in (0, 5, 30, 71):
        top, left = lettering.box(k)
        corner = image[top + 3, left + 3]                  # inside the box, off the letter
        expected = np.round(np.array(gt.COLOUR_MAP(values[k])[:3]) * 255)
        np.testing.assert_allclose(corner, expected, atol=1)
    top, left = lettering.box(61)
    assert (image[top, left:left + width] == gt.OUTLINE).all()
    assert (image[top:top + height, left + width - 1] == gt.OUTLINE).all()
    top, left = lettering.box(100)                         # past the end of the text: white
    assert (image[top + 3, left + 3] == 255).all()
    assert lettering.ink[:height, :width].max() > 0.5      # "a" leaves ink; a space none
    top, left = lettering.box(5)
    assert lettering.ink[top:top + height, left:left + width].max() == 0
    top, left = lettering.box(2)                           # a newline is drawn as ↵
    assert lettering.ink[top:top + height, left:left + width].max() > 0.5


# The picture

def test_gate_cell_and_character_each_change_the_picture():
    run, lettering = activations(), gt.Lettering(TEXT)
    first = gt.draw(run, lettering, "forget", NEWLINE_CELL, 0)
    assert first.startswith(PNG)
    others = [gt.draw(run, lettering, "input", NEWLINE_CELL, 0), gt.draw(run, lettering, "output", NEWLINE_CELL, 0),
              gt.draw(run, lettering, "forget", 0, 0), gt.draw(run, lettering, "forget", NEWLINE_CELL, 40)]
    assert len({first, *others}) == 5
    with pytest.raises(ValueError, match="gate must be one of"):
        gt.draw(run, lettering, "cell", 0, 0)


# Answers that cannot be drawn: one sentence naming the exercise

def not_yet(*args):
    raise NotImplementedError


def changed(**mistake):
    """A right answer with one thing in its result replaced: h, c or an entry of the cache (by index)."""
    def step(*args):
        h, c, cache = lstm_step_forward(*args)
        cache = list(cache)
        for key, make in mistake.items():
            if key == "h":
                h = make(h, cache)
            elif key == "c":
                c = make(c, cache)
            else:
                cache[int(key[1:])] = make(cache[int(key[1:])], cache)
        return h, c, tuple(cache)
    return step


@pytest.mark.parametrize("answer, problem", [
    (lambda *a: None, "returned None: did you forget a `return`?"),
    (lambda *a: 1 / 0, "raised ZeroDivisionError: division by zero"),
    (lambda *a: lstm_step_forward(*a)[:2], "returned 2 values, not the three values (h, c, cache)"),
    (lambda *a: lstm_step_forward(*a)[0], "returned ndarray, not the three values (h, c, cache)"),
    (lambda *a: (*lstm_step_forward(*a)[:2], lstm_step_forward(*a)[2][:9]),
     "returned a cache of 9 values, not the tuple (x, h_prev, c_prev, Wx, Wh, i, f, g, o, c) that the exercise"),
    (lambda *a: (*lstm_step_forward(*a)[:2], {"f": 1}), "returned a cache of dict, not the tuple"),
    (changed(h=lambda h, cache: h[0]), "returned h of shape (6,) for a batch of 1 and hidden size 6, not (1, 6)"),
    (changed(c=lambda c, cache: np.hstack([c, c])), "returned c of shape (1, 12) for a batch of 1 and hidden size 6"),
    (changed(c=lambda c, cache: "c"), "returned c of type str, not an array"),
    (changed(c=lambda c, cache: c * np.nan), "returned c with inf or nan in it at character 0 ('H')"),
    (changed(c6=lambda f, cache: f[:, :3]), "returned a cache whose f (cache[6]) of shape (1, 3) for a batch of 1"),
    (changed(c8=lambda o, cache: np.log(o / (1 - o))),
     "whose o (cache[8]) holds -0.65 at character 0 ('H'), outside 0..1: it should hold the sigmoid of its block, "
     "not the block"),
    (changed(c7=lambda g, cache: g + 2), "whose g (cache[7]) holds"),
    (changed(c5=lambda i, cache: cache[6], c6=lambda f, cache: cache[5]),
     "returned a c that is not f * c_prev + i * g with the i, f and g of its cache at character 0 ('H'): "
     "check that the blocks of a are in the order i, f, g, o"),
    (changed(h=lambda h, cache: cache[8] * cache[9]),
     "returned an h that is not o * tanh(c) with the o of its cache (cache[8]) at character 0 ('H')"),
])
def test_a_result_of_the_wrong_kind_is_one_sentence_naming_the_exercise(answer, problem):
    with pytest.raises(AnswerNeeded) as caught:
        activations(step=Answer(answer, "lstm_step_forward", 1))
    message = str(caught.value)
    assert message.startswith("Your lstm_step_forward (Exercise 1) ") and problem in message
    assert message.endswith("Fix it, run its cell, then run this cell again.")


def test_a_wrong_answer_that_only_goes_wrong_later_is_caught_where_it_does():
    def after_a_newline(x, h_prev, c_prev, Wx, Wh, b):
        h, c, cache = lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)
        return (h * np.nan if x[0, 0] == 1 else h), c, cache     # feature 0 marks a newline

    with pytest.raises(AnswerNeeded, match=r"returned h with inf or nan in it at character 50 \('↵'\)"):
        activations(step=Answer(after_a_newline, "lstm_step_forward", 1))


# The widget

def test_the_explorer_draws_and_redraws_when_each_control_moves():
    box = gt.gates_explorer(lstm_step_forward, trained(), TEXT, encode)
    seen = [picture_of(box)]
    assert seen[0][0].startswith(PNG) and not seen[0][1]
    for description, value in (("gate", "input"), ("cell", 4), ("character", 77), ("gate", "output")):
        control(box, description).value = value
        image, note = picture_of(box)
        assert image.startswith(PNG) and not note and image not in [s[0] for s in seen], description
        seen.append((image, note))
    assert picture_of(box)[0] == gt.draw(activations(), gt.Lettering(TEXT), "output", 4, 77)


def test_the_controls_span_the_cells_and_the_text_and_report_only_when_let_go():
    box = gt.gates_explorer(lstm_step_forward, trained(), TEXT, encode, cell=3, position=9)
    cell, where = control(box, "cell"), control(box, "character")
    assert (cell.min, cell.max, cell.value) == (0, HIDDEN - 1, 3)
    assert (where.min, where.max, where.value) == (0, len(TEXT) - 1, 9)
    assert control(box, "gate").options == ("forget", "input", "output")
    assert control(box, "gate").value == "forget"
    sliders = parts(box, (widgets.IntSlider, widgets.FloatSlider))
    assert len(sliders) == 2 and all(s.continuous_update is False for s in sliders)


def test_the_explorer_opens_on_the_cell_whose_forget_gate_varies_most():
    assert control(gt.gates_explorer(lstm_step_forward, trained(), TEXT, encode), "cell").value == NEWLINE_CELL


def test_the_students_function_runs_once_and_the_controls_only_redraw():
    calls = []

    def counted(*args):
        calls.append(1)
        return lstm_step_forward(*args)

    box = gt.gates_explorer(counted, trained(), TEXT, encode)
    for description, value in (("gate", "input"), ("cell", 1), ("character", 5)):
        control(box, description).value = value
    assert len(calls) == len(TEXT)


def test_float32_parameters_draw():
    box = gt.gates_explorer(lstm_step_forward_float32, trained(np.float32), TEXT, encode, gate="output")
    control(box, "character").value = len(TEXT) - 1
    image, note = picture_of(box)
    assert image.startswith(PNG) and not note


@pytest.mark.parametrize("answer, message", [
    (None, "lstm_step_forward is missing: answer Exercise 1, run its cell, then run this cell again."),
    (not_yet, "Answer Exercise 1 (lstm_step_forward) first, run its cell, then run this cell again."),
    (lambda *a: None, "Your lstm_step_forward (Exercise 1) returned None: did you forget a `return`?"),
    (changed(c8=lambda o, cache: o - 1), "whose o (cache[8]) holds"),
])
def test_a_missing_or_broken_answer_is_shown_instead_of_the_picture_and_the_controls_still_work(answer, message):
    box = gt.gates_explorer(answer, trained(), TEXT, encode)
    image, note = picture_of(box)
    assert message in note and not image
    assert parts(box, widgets.Image)[0].layout.display == "none"
    assert control(box, "cell").value == 0 and control(box, "cell").max == HIDDEN - 1
    control(box, "cell").value = 5
    control(box, "gate").value = "output"
    assert message in picture_of(box)[1]


def test_the_exercise_number_and_options_are_given_by_name():
    assert "answer Exercise 3" in picture_of(gt.gates_explorer(None, trained(), TEXT, encode, exercise=3))[1]
    with pytest.raises(TypeError, match="positional"):
        gt.gates_explorer(lstm_step_forward, trained(), TEXT, encode, 1)
    with pytest.raises(ValueError, match="gate must be one of"):
        gt.gates_explorer(lstm_step_forward, trained(), TEXT, encode, gate="cell")
