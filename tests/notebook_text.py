"""What the solution notebooks say about their runs: the numbers they quote, and how long their cells take.

A sentence such as "When we ran this notebook, ... 64.58 ..." is only true
while the code still gives 64.58. Each `Quote` ties a fragment of the prose
to an expression that the executed notebook evaluates right before the
markdown cell that holds it (tests/test_notebooks_execute.py), and every
number in a sentence that says it reports a run ("when we ran", "in our
run") must be a quote or a `Setting` (a number that is not a result, such
as the number of epochs). A cell that trains states its time in its first
line, as STATED_TIME reads it.
"""
import ast
import re
from dataclasses import dataclass

# Training in float32 on another CPU (another BLAS kernel) may move a trained accuracy's last digit.
TRAINED = 0.3   # percentage points


@dataclass(frozen=True)
class Quote:
    """`fragment`, as the prose writes it, quotes the value of `expression` in the run.

    The number checked is the fragment's first (or "a \\times 10^{b}"); it
    must be within `tolerance` of the value, by default one unit of its last
    quoted digit. `full_run`: the suite runs that training shortened
    (SHORTER_TRAINING), so the value is compared only with FULL_TRAINING=1.
    `timing`: a time, printed beside the quote and never asserted, since
    tests do not assert on time.
    """
    fragment: str
    expression: str
    tolerance: float | None = None
    full_run: bool = False
    timing: bool = False

    @property
    def number(self):
        scientific = re.search(r"(\d+(?:\.\d+)?)\s*\\times\s*10\^\{(-?\d+)\}", self.fragment)
        if scientific:
            return float(scientific[1]) * 10.0 ** int(scientific[2])
        return float(NUMBER.search(self.fragment)[0].replace(",", ""))

    @property
    def allowed(self):
        if self.tolerance is not None:
            return self.tolerance
        digits = NUMBER.search(self.fragment)[0].partition(".")[2]
        return 10.0 ** -len(digits)


@dataclass(frozen=True)
class Setting:
    """A number in a "when we ran" sentence that is not a result of the run: `why` says what it is."""
    fragment: str
    why: str


FROM_A_RUN = re.compile(r"when we ran|\bin our (short )?runs?\b", re.IGNORECASE)
NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")

BASELINE = "np.full_like(y_val, y_train.mean())"
TRAINED_04 = 'linear_forward(X_val, weights)["P"]'
EXACT_04 = 'linear_forward(X_val, exact_weights)["P"]'
# The notebook's "Try it" with full batches, from two starts, run for the check: 3,000 steps of 60 rows.
FULL_BATCHES = 'train(init_weights(1, 3, {}), X_toy, Y_toy, epochs=3000, batch_size=60, learning_rate=0.5, title="")[1]'
VARIANT = '100 * list(results.values())[{}]["validation accuracy"][-1]'
# Notebook 05's sigmoid network on diabetes trained ten times longer, for the sentence about overfitting.
LONG_05 = ('train(init_weights(10, 10, 0), X_train, t_train, epochs=3000, batch_size=32, learning_rate=0.01, '
           'X_val=X_val, y_val=t_val, title="")[1]')

QUOTES = {
    "04_linear_regression": [
        Quote("validation patients by 67.93", f"mean_absolute_error({BASELINE}, y_val)"),
        Quote("(RMSE 77.41)", f"root_mean_squared_error({BASELINE}, y_val)"),
        Quote("the trained model by 43.62", f"mean_absolute_error({TRAINED_04}, y_val)"),
        Quote("(RMSE 52.79)", f"root_mean_squared_error({TRAINED_04}, y_val)"),
        Quote("solution by 43.34", f"mean_absolute_error({EXACT_04}, y_val)"),
        Quote("(RMSE 52.84)", f"root_mean_squared_error({EXACT_04}, y_val)"),
        Quote("with 88 of them", "len(y_val)", tolerance=0),
        Quote("the test patients by 42.05", "mean_absolute_error(P_test, y_test)"),
        Quote("(RMSE 52.13)", "root_mean_squared_error(P_test, y_test)"),
        Quote("A typical miss of 42 points", "mean_absolute_error(P_test, y_test)", tolerance=0.5),
    ],
    "05_neural_network": [
        Quote("it ends near 0.018", 'toy_history["train loss"][-1]', tolerance=0.001),
        Quote("against 0.31 for the best straight line", "np.mean((np.polyval(np.polyfit(x_toy, y_toy, 1), x_toy) - y_toy) ** 2)"),
        Quote("a loss of about 0.016", f'{FULL_BATCHES.format(0)}["train loss"][-1]', tolerance=0.002),
        Quote("stuck near 0.25", f'{FULL_BATCHES.format(1)}["train loss"][-1]', tolerance=0.02),
        Setting("after 300 epochs the", "the length of the run, a setting"),
        Quote("loss was 0.514", 'history["train loss"][-1]'),
        Quote("validation loss 0.458 (on", 'history["validation loss"][-1]'),
        Quote("the 88 validation patients", "len(y_val)", tolerance=0),
        Quote("around epoch 1400", f'np.argmin({LONG_05}["validation loss"]) + 1', tolerance=150),
        Quote("(0.45) and back", f'min({LONG_05}["validation loss"])'),
        Quote("to 0.50 at the end", f'{LONG_05}["validation loss"][-1]'),
        Quote("down to 0.40.", f'{LONG_05}["train loss"][-1]'),
        Quote("of 0.434 after", 'histories["relu"]["train loss"][-1]'),
        Setting("after 300 epochs, against", "the length of both runs, a setting"),
        Quote("against 0.514 for the sigmoid", 'histories["sigmoid"]["train loss"][-1]'),
        Setting("at most 0.25", "the sigmoid's largest slope, at 0"),
        Quote("lowest at epoch 109", 'int(np.argmin(histories["relu"]["validation loss"])) + 1', tolerance=0),
        Quote("(0.509)", 'min(histories["relu"]["validation loss"])'),
        Quote("risen to 0.538", 'histories["relu"]["validation loss"][-1]'),
        Quote("falling, to 0.458", 'histories["sigmoid"]["validation loss"][-1]'),
        Quote("validation RMSE, 52.10", 'validation_rmse["sigmoid network"]', tolerance=0.02),
        Quote("against 52.84 for linear", 'validation_rmse["linear regression"]'),
        Quote("and 56.47 for the ReLU", 'validation_rmse["ReLU network"]', tolerance=0.02),
        Quote("on the 88 test patients", "len(y_test)", tolerance=0),
        Quote("MAE is 41.42", "test_mae", tolerance=0.02),
        Quote("RMSE 51.69", "test_rmse", tolerance=0.02),
        Quote("on 15 of the 20 splits", "np.sum(network_mae < linear_mae)", tolerance=0),
        Quote("(45.12 against", "network_mae.mean()", tolerance=0.02),
        Quote("against 45.47)", "linear_mae.mean()", tolerance=0.02),
        Quote("on only 10 of 20", "np.sum(network_rmse < linear_rmse)", tolerance=0),
    ],
    "06_building_blocks": [
        Quote("validation loss, 0.444", "linear.best_loss"),
        Quote("(an RMSE of 51.28", "np.sqrt(linear.best_loss) * y_std"),
        Quote("against 0.517 for one", "hidden.best_loss"),
        Quote("0.455 for two, so", "deep.best_loss"),
        Quote("an RMSE of 49.9.", "diabetes_test_rmse"),
        Quote("(training losses 0.496", "loss_on(hidden, X_train, y_train)"),
        Quote("and 0.478 against", "loss_on(deep, X_train, y_train)"),
        Quote("against 0.552)", "loss_on(linear, X_train, y_train)"),
        Quote("validation RMSE of 2.40 (in", "np.sqrt(linear_f.best_loss) * f_std"),
        Quote("one hidden layer 1.92", "np.sqrt(hidden_f.best_loss) * f_std"),
        Quote("two hidden layers 1.49", "np.sqrt(deep_f.best_loss) * f_std"),
        Setting("the noise's 1.", "the noise's standard deviation, a setting of make_friedman1"),
        Setting("evaluating every 10 epochs", "how often that run evaluated, a setting"),
        Quote("at epoch 60", "often.history[-1][0]", tolerance=0),
        Quote("of epoch 50,", "often.best_epoch", tolerance=0),
        Quote("validation RMSE of 2.24", "np.sqrt(often.best_loss) * f_std"),
        Quote("fell to 1.25", "np.sqrt(scaled_hidden_f.best_loss) * f_std"),
        Quote("and 1.26 with two", "np.sqrt(scaled_deep_f.best_loss) * f_std"),
        Quote("an RMSE of 1.25, close", "friedman_test_rmse"),
        Quote("validation rows by 2.40.", "np.sqrt(linear_f.best_loss) * f_std"),
    ],
    "07_training_better": [
        Quote("the validation accuracy was 63%", VARIANT.format(0)),
        Setting("63% after 10 epochs", "the length of every run, a setting"),
        Setting("the 10% of guessing", "one class in ten"),
        Setting("after 10 epochs rose", "the length of every run, a setting"),
        Quote("rose from 63%", VARIANT.format(0)),
        Quote("to 76%, and it rose faster", VARIANT.format(1)),
        Quote("from 76% to 77%", VARIANT.format(1)),
        Quote("to 77%, and the decay", VARIANT.format(2)),
        Quote("(81% with either)", VARIANT.format(3)),
        Quote("81% with either)", VARIANT.format(4)),
        *(Quote(fragment, VARIANT.format(index), TRAINED) for index, fragment in enumerate(
            ["reached 63.5%", "75.8%, 77.3%", "77.3%, 81.2%", "81.2%, 81.0%", "81.0%, 82.3%", "82.3% and", "and 83.5%"])),
        Quote("gains 12 points", f"{VARIANT.format(1)} - {VARIANT.format(0)}", 2 * TRAINED),
        Quote("the decay, 3.9 points", f"{VARIANT.format(3)} - {VARIANT.format(2)}", 2 * TRAINED),
        Setting("a constant rate of 0.1 with momentum 0.9", "variant 3's settings"),
        Quote("adds 1.5 points", f"{VARIANT.format(2)} - {VARIANT.format(1)}", 2 * TRAINED),
        Quote("initialisation 1.3 and", f"{VARIANT.format(5)} - {VARIANT.format(4)}", 2 * TRAINED),
        Quote("dropout 1.3. Ten", f"{VARIANT.format(6)} - {VARIANT.format(5)}", 2 * TRAINED),
        # Section 9: three checks before a long run
        Quote("a first loss of 2.57", 'first_loss["glorot"]'),
        Setting(r"close to $\ln 10$", "ten classes: the loss of a uniform guess"),
        Quote("gave 11.72", 'first_loss["standard"]'),
        Quote("$e^{-11.7}$, about", 'first_loss["standard"]'),
        Quote("one in 120,000", 'np.exp(first_loss["standard"])', tolerance=5000),
        # Rounding-level numbers: they move with the BLAS, so only their size is checked.
        Quote(r"about $3 \times 10^{-5}$, and", "errors_fixed[0]", tolerance=2.5e-5),
        Quote("were below $10^{-6}$", "10 if max(errors_fixed[1:]) < 1e-6 else 0", tolerance=0),
        Setting("the 6,272 entries", "the size of W1, 784 x 8"),
        Quote("to about 1, and the check", "min(errors_fresh)", tolerance=0.1),
        Setting("reached 100% at", "a perfect score: the check's goal"),
        Quote("epoch 12 and the loss", "perfect_from", tolerance=0),
        Quote("fell to 0.0012", 'tiny_history["train loss"][-1]'),
        Setting("by epoch 100", "the length of the run, a setting"),
        # Section 10: overfitting you can see
        *(Quote(fragment, f'100 * regularised["{name}"]["{metric}"][-1]', TRAINED) for fragment, name, metric in (
            ("| none | 100.0%", "none", "train accuracy"), ("81.3% | 0.800", "none", "validation accuracy"),
            ("100.0% | 81.3% | 0.754", "dropout 0.5", "train accuracy"), ("81.3% | 0.754", "dropout 0.5", "validation accuracy"),
            ("97.4% | 79.3%", "weight decay 0.01", "train accuracy"), ("79.3% | 0.683", "weight decay 0.01", "validation accuracy"))),
        *(Quote(fragment, f'regularised["{name}"]["validation loss"][-1]', 0.002) for fragment, name in (
            ("0.800 |", "none"), ("0.754 |", "dropout 0.5"), ("0.683 |", "weight decay 0.01"))),
        Setting("after 100 epochs", "the length of the runs, a setting"),
        Quote("by epoch 30", '10 * (1 + int(np.argmax(np.array(regularised["none"]["train accuracy"]) == 1.0)))', tolerance=0),
        Quote("19 of every", '100 - 100 * regularised["none"]["validation accuracy"][-1]', tolerance=0.5),
        # Section 11: the search, and the test set once
        Quote("a learning rate of 0.03 with", "best_lr", tolerance=0),
        Quote("with 256 hidden units, at", "best_hidden", tolerance=0),
        Quote("at 83.9%, a hair", "100 * search_scores.max()", TRAINED),
        Setting("above 0.01 with 256 units", "a cell of the grid"),
        Quote("(83.7%)", "100 * search_scores[0, 2]", TRAINED),
        Quote("worst of all (71.3%)", "100 * search_scores[2, 2]", TRAINED),
        Quote("reached 87.5% on the validation", "100 * final_val", TRAINED),
        Quote("and 86.7% on the test", "100 * final_test", TRAINED),
    ],
    "08_autodiff": [
        Setting("the engine's 70,765 gradients", "the parameters of a 784-89-10 network, by its shape"),
        Quote(r"at most $2.8 \times 10^{-17}$", "difference", tolerance=1e-16),  # float64 rounding: it moves with the BLAS
        Quote("agreed in all 16 digits", "16 if abs(float(engine_loss.data) - hand_loss) < 1e-15 * abs(hand_loss) else 0",
              tolerance=0),
        Quote("The ten epochs took about 5 seconds", "seconds", timing=True),
        Quote("the network reached 87.8%", '100 * monitor.history["test accuracy"][-1]', TRAINED),
    ],
    "09_convolutional_networks": [
        Quote("took 275 seconds", "seconds", full_run=True, timing=True),
        Quote("(18 s an epoch", "seconds / EPOCHS", full_run=True, timing=True),
        Quote("classified 91.5%", "100 * np.mean(predicted == data.y_test)", TRAINED, full_run=True),
        Quote("the 10,000 test pictures", "len(X_test)", tolerance=0),
    ],
    "10_recurrent_networks": [
        Quote("took 2.8 minutes", "minutes", full_run=True, timing=True),
        Quote("(8.4 seconds an epoch", "60 * minutes / EPOCHS", full_run=True, timing=True),
        Quote(r"from $\ln 73", "len(corpus.vocab)", tolerance=0),
        Quote(r"\approx 4.29$ nats per character for the untrained model", "np.log(len(corpus.vocab))"),
        Quote("to 1.578 nats", 'monitor.history["validation loss"][-1]', full_run=True),
        Quote("**2.28 bits", 'monitor.history["validation loss"][-1] / np.log(2)', full_run=True),
        Quote("about 1.4 nats", 'monitor.history["train loss"][-1]', full_run=True),
    ],
    "11_lstm_gru": [
        Quote("took 30,", 'seconds["rnn"]', full_run=True, timing=True),
        Quote("87 and 74 seconds", 'seconds["lstm"]', full_run=True, timing=True),
        Quote("and 74 seconds", 'seconds["gru"]', full_run=True, timing=True),
        Quote("(3.8,", 'seconds["rnn"] / EPOCHS', full_run=True, timing=True),
        Quote("10.9 and 9.3", 'seconds["lstm"] / EPOCHS', full_run=True, timing=True),
        Quote("and 9.3\nseconds an epoch", 'seconds["gru"] / EPOCHS', full_run=True, timing=True),
        *(Quote(f"| {count} |", f'sum(p.size for p in trained["{cell}"].values())', tolerance=0)
          for cell, count in (("rnn", "32,361"), ("lstm", "94,185"), ("gru", "73,961"))),
        *(Quote(f"| {nats} |", f'min(history["{cell}"]["validation loss"])', full_run=True)
          for cell, nats in (("rnn", "1.659"), ("lstm", "1.556"), ("gru", "1.544"))),
    ],
}


def sentences_from_a_run(markdown):
    """The sentences of `markdown` that say they quote a run ("When we ran this notebook, ...")."""
    paragraphs = [squeezed(p) for p in re.split(r"\n\s*\n|\n(?=#)", markdown)]
    return [s for text in paragraphs for s in re.split(r"(?<=[.!?])\s+(?=[A-Z*(])", text) if FROM_A_RUN.search(s)]


def unaccounted_numbers(markdown, entries):
    """Numbers in `markdown`'s run-quoting sentences that no fragment of `entries` covers."""
    fragments = [squeezed(entry.fragment) for entry in entries]
    missing = []
    for sentence in sentences_from_a_run(markdown):
        covered = [range(m.start(), m.start() + len(f)) for f in fragments for m in re.finditer(re.escape(f), sentence)]
        missing += [f"{number[0]!r} in {sentence!r}" for number in NUMBER.finditer(sentence)
                    if not any(number.start() in span and number.end() - 1 in span for span in covered)]
    return missing


def squeezed(text):
    """`text` with every run of whitespace made one space, as markdown renders it."""
    return " ".join(text.split())


# How a cell states its running time, in its first line.
STATED_TIME = re.compile(r"# (About [\d.]+ (s|minutes?)|Under a second) here\b[^\n]*")


def training_cells(nb):
    """The code cells that train: they loop over a TrainingMonitor, or call the notebook's function that does."""
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    trainers = {node.name for cell in code for node in parsed(cell.source).body
                if isinstance(node, ast.FunctionDef) and any(map(loops_over_a_monitor, ast.walk(node)))}
    return [cell for cell in code if any(
        loops_over_a_monitor(node)
        or isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in trainers
        for node in runs_when_the_cell_runs(cell.source))]


def loops_over_a_monitor(node):
    return isinstance(node, ast.For) and isinstance(node.iter, ast.Name) and node.iter.id == "monitor"


def parsed(source):
    """A cell's syntax tree, its IPython magics (%matplotlib, !pip) left out."""
    return ast.parse("\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))))


def runs_when_the_cell_runs(source):
    """The syntax nodes of a cell outside its function and class bodies."""
    found, todo = [], list(parsed(source).body)
    while todo:
        node = todo.pop()
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            found.append(node)
            todo.extend(ast.iter_child_nodes(node))
    return found
