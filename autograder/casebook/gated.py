"""Notebook 11: wrong answers students really write, and right ones written differently.

Gated cells fail quietly: gates in another order, the forget gate through
tanh, a cell-state gradient that never goes back, the GRU's update gate the
wrong way round or computed with the reset gate's weights (a slip in a
published textbook's code). All keep every shape, so the hidden tests
compare values with the reference on random sizes, and the cells' caches
with the ones the notebook documents.
"""
from ..submissions import Edit
from . import Alternative, Mutant

# Exercises the demo's mistaken student gets wrong: none of them feeds a later exercise's tests.
DEMO_MISTAKES = ("test_layers", "test_char_models")

MUTANTS = [
    # one LSTM step, forward
    Mutant("test_lstm_step_forward", "puts the forget gate through tanh instead of the sigmoid",
           Edit("lstm_step", replace=("i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 3 * H:])",
                                      "i, f, o = sigmoid(a[:, :H]), np.tanh(a[:, H:2 * H]), sigmoid(a[:, 3 * H:])")),
           hint="computes the forget gate f with tanh instead of the sigmoid"),
    Mutant("test_lstm_step_forward", "reads the gates in the order i, f, o, g",
           Edit("lstm_step", replace=("sigmoid(a[:, 3 * H:])\n    g = np.tanh(a[:, 2 * H:3 * H])",
                                      "sigmoid(a[:, 2 * H:3 * H])\n    g = np.tanh(a[:, 3 * H:])")),
           hint="cuts a into gates in the order i, f, o, g instead of PyTorch's i, f, g, o"),
    Mutant("test_lstm_step_forward", "shows the cell state without its tanh: h = o · c",
           Edit("lstm_step", replace=("h = o * np.tanh(c)", "h = o * c")),
           hint="computes h = o · c, leaving out the tanh of the cell state"),
    # one LSTM step, backward
    Mutant("test_lstm_step_backward", "passes dc back unchanged instead of through the forget gate",
           Edit("lstm_step", replace=("return da @ Wx.T, da @ Wh.T, dc * f,", "return da @ Wx.T, da @ Wh.T, dc,")),
           hint="returns dc unchanged as dc_prev instead of multiplying it by the forget gate f"),
    Mutant("test_lstm_step_backward", "forgets that c reaches the loss through h too",
           Edit("lstm_step", replace=("dc = dc + dh * o * (1 - tanh_c * tanh_c)", "dc = dc")),
           hint="forgets to add to dc the gradient that reaches c through h = o · tanh(c)"),
    Mutant("test_lstm_step_backward", "the output gate's gradient with c instead of tanh(c)",
           Edit("lstm_step", replace=("dh * tanh_c * o * (1 - o)", "dh * c * o * (1 - o)")),
           hint="uses c instead of tanh(c) in the output gate's gradient da_o"),
    # a sequence, and the initial weights
    Mutant("test_lstm", "does not pass the cell-state gradient back from step to step",
           Edit("lstm_sequence", replace=("lstm_step_backward(dh_all[:, t] + dh_next, dc_next, cache[t])",
                                          "lstm_step_backward(dh_all[:, t] + dh_next, np.zeros_like(dc_next), cache[t])")),
           hint="gives each step a zero dc instead of the dc_prev that the next step sent back"),
    Mutant("test_lstm", "starts every step from c0 instead of the previous cell state",
           Edit("lstm_sequence", replace=("h_t, c_t, cache = lstm_step_forward(x[:, t], h_t, c_t, Wx, Wh, b)",
                                          "h_t, _, cache = lstm_step_forward(x[:, t], h_t, c0, Wx, Wh, b)\n        c_t = cache[9]")),
           hint="starts every step from c0 instead of the previous step's cell state"),
    Mutant("test_lstm", "puts the forget bias on the input gate's block",
           Edit("lstm_sequence", replace=("b[hidden_dim:2 * hidden_dim] = forget_bias", "b[:hidden_dim] = forget_bias")),
           hint="puts forget_bias in the input gate's block of b instead of the forget gate's"),
    Mutant("test_lstm", "keeps the weight gradients of one step instead of summing them",
           Edit("lstm_sequence", replace=("dWx += dWx_t\n        dWh += dWh_t", "dWx = dWx_t\n        dWh = dWh_t")),
           hint="keeps only one step's dWx and dWh instead of summing them over the steps"),
    # one GRU step
    Mutant("test_gru_step", "the update gate the wrong way round: h = z·n + (1 - z)·h_prev",
           Edit("gru_step", replace=("h = (1 - z) * n + z * h_prev", "h = z * n + (1 - z) * h_prev")),
           hint="uses z as the new state's share in h, but z is the share of the old state h_prev"),
    Mutant("test_gru_step", "computes the update gate with the reset gate's weights",
           Edit("gru_step", replace=("z = sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])", "z = sigmoid(ax[:, :H] + ah[:, :H])")),
           hint="computes the update gate z from the reset gate's block of columns"),
    Mutant("test_gru_step", "the original paper's convention: r scales h_prev before the product",
           Edit("gru_step", replace=("n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])",
                                     "n = np.tanh(ax[:, 2 * H:] + (r * h_prev) @ Wh[:, 2 * H:] + bh[2 * H:])")),
           hint="applies r to h_prev before the product (the original paper) instead of after it, as PyTorch does"),
    Mutant("test_gru_step", "forgets h_prev's direct path z·dh in the backward pass",
           Edit("gru_step", replace=("dh_prev = dh * z + dah @ Wh.T", "dh_prev = dah @ Wh.T")),
           hint="leaves the direct term dh · z out of dh_prev"),
    # a GRU sequence
    Mutant("test_gru", "forgets the carry: each step gets only the loss's gradient",
           Edit("gru_sequence", replace=("gru_step_backward(dh_all[:, t] + dh_next, cache[t])", "gru_step_backward(dh_all[:, t], cache[t])")),
           hint="passes only dh_all[:, t] to each step, dropping the dh_prev that the next step sent back"),
    Mutant("test_gru", "walks the steps forward in the backward pass",
           Edit("gru_sequence", replace=("for t in reversed(range(T)):", "for t in range(T):")),
           hint="walks the steps from first to last in gru_backward instead of from the last step back"),
    # framework layers
    Mutant("test_layers", "the LSTM layer lists its gradients in another order than its parameters",
           Edit("layers", replace=("self.param_grads = [dWx, dWh, db]", "self.param_grads = [dWh, dWx, db]")),
           hint="lists the LSTM layer's param_grads in another order than its params [Wx, Wh, b]"),
    Mutant("test_layers", "the GRU layer returns the gradient of h0 instead of the input's",
           Edit("layers", replace=("dx, _, *self.param_grads = gru_backward(output_grad, self.cache)\n        return dx",
                                   "_, dh0, *self.param_grads = gru_backward(output_grad, self.cache)\n        return dh0")),
           hint="returns the gradient of h0 from the GRU layer's backward instead of dx"),
    Mutant("test_layers", "the GRU layer drops the gradient of bh, so its gradients no longer match its parameters",
           Edit("layers", replace=("dx, _, *self.param_grads = gru_backward(output_grad, self.cache)",
                                   "dx, _, dWx, dWh, dbx, _ = gru_backward(output_grad, self.cache)\n        self.param_grads = [dWx, dWh, dbx]")),
           hint="leaves dbh out of the GRU layer's param_grads, so they no longer match its params"),
    # the character models
    Mutant("test_char_models", "the LSTM model hands on (c_last, h_last) in the wrong order",
           Edit("char_models", replace=("return loss, grads, (h[:, -1], c_last)", "return loss, grads, (c_last, h[:, -1])")),
           hint="returns the LSTM's state as (c_last, h_last) instead of (h_last, c_last)"),
    Mutant("test_char_models", "the LSTM model ignores the carried cell state and starts from zeros",
           Edit("char_models", replace=('lstm_forward(x, h0, c0, params["Wx"]', 'lstm_forward(x, h0, np.zeros_like(c0), params["Wx"]')),
           hint="runs the LSTM from a zero cell state instead of the c0 given in state"),
    Mutant("test_char_models", "the GRU model returns the first step's state instead of the last",
           Edit("char_models", replace=("return loss, grads, h[:, -1]", "return loss, grads, h[:, 0]")),
           hint="returns the GRU's first hidden state h[:, 0] instead of the last as h_last"),
]

_LSTM_GATE_BY_GATE = '''
def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    def block(k):
        columns = slice(k * H, (k + 1) * H)
        return x @ Wx[:, columns] + h_prev @ Wh[:, columns] + b[columns]
    i, f, g, o = 1 / (1 + np.exp(-block(0))), 1 / (1 + np.exp(-block(1))), np.tanh(block(2)), 1 / (1 + np.exp(-block(3)))
    c = f * c_prev + i * g
    return o * np.tanh(c), c, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, c)


def lstm_step_backward(dh, dc, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, c = cache
    H = h_prev.shape[1]
    dc_total = dc + dh * o * (1 - np.tanh(c) ** 2)
    da = np.empty((x.shape[0], 4 * H), dtype=np.result_type(dh, dc, c))
    da[:, :H] = dc_total * g * i * (1 - i)
    da[:, H:2 * H] = dc_total * c_prev * f * (1 - f)
    da[:, 2 * H:3 * H] = dc_total * i * (1 - g ** 2)
    da[:, 3 * H:] = dh * np.tanh(c) * o * (1 - o)
    return np.dot(da, Wx.T), np.dot(da, Wh.T), f * dc_total, np.dot(x.T, da), np.dot(h_prev.T, da), np.sum(da, axis=0)
'''

_LSTM_FLOAT32 = '''
def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    dtype = np.result_type(x, h_prev, c_prev, Wx, Wh, b)       # float32 in, float32 all the way
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b

    def gate(block):
        return (1 / (1 + np.exp(-np.clip(block, -60, 60)))).astype(dtype)
    i, f, o, g = gate(a[:, :H]), gate(a[:, H:2 * H]), gate(a[:, 3 * H:]), np.tanh(a[:, 2 * H:3 * H]).astype(dtype)
    c = (f * c_prev + i * g).astype(dtype)
    return (o * np.tanh(c)).astype(dtype), c, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, c)


def lstm_step_backward(dh, dc, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, c = cache
    tanh_c = np.tanh(c)
    dc = dc + dh * o * (1 - tanh_c ** 2)
    da = np.hstack([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g ** 2), dh * tanh_c * o * (1 - o)])
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)
'''

_LSTM_LISTS = '''
def lstm_forward(x, h0, c0, Wx, Wh, b):
    states, caches = [], []
    h, c = h0, c0
    for t in range(x.shape[1]):
        h, c, step = lstm_step_forward(x[:, t, :], h, c, Wx, Wh, b)
        states.append(h)
        caches.append(step)
    return np.stack(states, axis=1), c, {"steps": caches}


def lstm_backward(dh_all, cache):
    steps = cache["steps"]
    dxs, dWx, dWh, db = [], 0, 0, 0
    dh, dc = 0 * dh_all[:, 0], 0 * dh_all[:, 0]
    for t in range(len(steps) - 1, -1, -1):
        dx_t, dh, dc, gWx, gWh, gb = lstm_step_backward(dh_all[:, t] + dh, dc, steps[t])
        dxs.insert(0, dx_t)
        dWx, dWh, db = dWx + gWx, dWh + gWh, db + gb
    return np.stack(dxs, axis=1), dh, dWx, dWh, db


def lstm_init(input_dim, hidden_dim, seed, forget_bias=1.0):
    rng = np.random.default_rng(seed)
    bound = hidden_dim ** -0.5
    Wx = rng.uniform(low=-bound, high=bound, size=(input_dim, 4 * hidden_dim))
    Wh = rng.uniform(low=-bound, high=bound, size=(hidden_dim, 4 * hidden_dim))
    b = np.concatenate([np.zeros(hidden_dim), np.full(hidden_dim, float(forget_bias)), np.zeros(2 * hidden_dim)])
    return Wx, Wh, b
'''

_GRU_BLOCKS = '''
def gru_step_forward(x, h_prev, Wx, Wh, bx, bh):
    H = h_prev.shape[1]
    r_, z_, n_ = slice(0, H), slice(H, 2 * H), slice(2 * H, 3 * H)
    r = 1 / (1 + np.exp(-(x @ Wx[:, r_] + bx[r_] + h_prev @ Wh[:, r_] + bh[r_])))
    z = 1 / (1 + np.exp(-(x @ Wx[:, z_] + bx[z_] + h_prev @ Wh[:, z_] + bh[z_])))
    hidden_n = h_prev @ Wh[:, n_] + bh[n_]
    n = np.tanh(x @ Wx[:, n_] + bx[n_] + r * hidden_n)
    return n + z * (h_prev - n), (x, h_prev, Wx, Wh, hidden_n, r, z, n)


def gru_step_backward(dh, cache):
    x, h_prev, Wx, Wh, hidden_n, r, z, n = cache
    dpre_n = dh * (1 - z) * (1 - n ** 2)
    dpre_z = dh * (h_prev - n) * z * (1 - z)
    dpre_r = dpre_n * hidden_n * r * (1 - r)
    dax = np.hstack([dpre_r, dpre_z, dpre_n])
    dah = np.hstack([dpre_r, dpre_z, dpre_n * r])
    return dax @ Wx.T, z * dh + dah @ Wh.T, x.T @ dax, h_prev.T @ dah, dax.sum(0), dah.sum(0)
'''

_GRU_ACCUMULATE = '''
def gru_forward(x, h0, Wx, Wh, bx, bh):
    hs, caches, h = [], [], h0
    for t in range(x.shape[1]):
        h, step = gru_step_forward(x[:, t], h, Wx, Wh, bx, bh)
        hs.append(h)
        caches.append(step)
    return np.stack(hs, 1), (caches, Wx.shape[0])


def gru_backward(dh_all, cache):
    caches, D = cache
    N, T, H = dh_all.shape
    dx = np.zeros((N, T, D))
    dWx = dWh = dbx = dbh = 0.0
    carry = np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        dx[:, t], carry, gWx, gWh, gbx, gbh = gru_step_backward(dh_all[:, t] + carry, caches[t])
        dWx, dWh, dbx, dbh = dWx + gWx, dWh + gWh, dbx + gbx, dbh + gbh
    return dx, carry, dWx, dWh, dbx, dbh
'''

_LAYERS_SAVED = '''
class LSTMLayer(framework.Layer):
    def _setup_layer(self, input_):
        self.params = recurrent_params(lstm_init, input_, self.neurons, self.seed)

    def forward(self, input_, inference=False):
        if not self.params or self.first:
            self._setup_layer(input_)
            self.first = False
        self.input_ = input_
        N = len(input_)
        h0 = np.zeros((N, self.neurons), self.params[0].dtype)
        out, _, self.saved = lstm_forward(input_, h0, h0.copy(), *self.params)
        self.output = out
        return out

    def backward(self, output_grad):
        grads = lstm_backward(output_grad, self.saved)
        self.param_grads = list(grads[2:])
        return grads[0]


class GRULayer(framework.Layer):
    def _setup_layer(self, input_):
        self.params = recurrent_params(gru_init, input_, self.neurons, self.seed)

    def forward(self, input_, inference=False):
        if not self.params or self.first:
            self._setup_layer(input_)
            self.first = False
        self.input_ = input_
        h0 = np.zeros((len(input_), self.neurons), self.params[0].dtype)
        self.output, self.saved = gru_forward(input_, h0, *self.params)
        return self.output

    def backward(self, output_grad):
        grads = gru_backward(output_grad, self.saved)
        self.param_grads = list(grads[2:])
        return grads[0]
'''

_CHAR_MODELS_SHARED = '''
def _head_and_tail(params, inputs, run_cell):
    embedded, embed_cache = sequences.embedding_forward(inputs, params["W_embed"])
    states, state, back = run_cell(embedded)
    return embedded, embed_cache, states, state, back


def char_lstm_loss(params, inputs, targets, state):
    def run(embedded):
        h, c, cache = lstm_forward(embedded, state[0], state[1], params["Wx"], params["Wh"], params["b"])
        return h, (h[:, -1], c), cache
    _, embed_cache, h, last, cache = _head_and_tail(params, inputs, run)
    scores, out_cache = sequences.temporal_affine_forward(h, params["W_out"], params["b_out"])
    loss, dscores = sequences.temporal_softmax_loss(scores, targets, np.ones(targets.shape, bool))
    dh, dW_out, db_out = sequences.temporal_affine_backward(dscores, out_cache)
    dx, _, dWx, dWh, db = lstm_backward(dh, cache)
    names = ("W_embed", "Wx", "Wh", "b", "W_out", "b_out")
    return loss, dict(zip(names, (sequences.embedding_backward(dx, embed_cache), dWx, dWh, db, dW_out, db_out))), last


def char_gru_loss(params, inputs, targets, h0):
    def run(embedded):
        h, cache = gru_forward(embedded, h0, params["Wx"], params["Wh"], params["bx"], params["bh"])
        return h, h[:, -1], cache
    _, embed_cache, h, last, cache = _head_and_tail(params, inputs, run)
    scores, out_cache = sequences.temporal_affine_forward(h, params["W_out"], params["b_out"])
    loss, dscores = sequences.temporal_softmax_loss(scores, targets)
    dh, dW_out, db_out = sequences.temporal_affine_backward(dscores, out_cache)
    dx, _, dWx, dWh, dbx, dbh = gru_backward(dh, cache)
    names = ("W_embed", "Wx", "Wh", "bx", "bh", "W_out", "b_out")
    return loss, dict(zip(names, (sequences.embedding_backward(dx, embed_cache), dWx, dWh, dbx, dbh, dW_out, db_out))), last
'''

ALTERNATIVES = [
    Alternative("test_lstm_step_forward", "one product per gate instead of one fused product, sigmoid by exp",
                (Edit("lstm_step", code=_LSTM_GATE_BY_GATE),)),
    Alternative("test_lstm_step_forward", "float32 kept float32 by casting every result, a clipped exp sigmoid",
                (Edit("lstm_step", code=_LSTM_FLOAT32),)),
    Alternative("test_lstm_step_backward", "the gate gradients written into blocks of one array, np.dot",
                (Edit("lstm_step", code=_LSTM_GATE_BY_GATE),)),
    Alternative("test_lstm", "states in lists stacked at the end, a dict for the cache, the bias by concatenation",
                (Edit("lstm_sequence", code=_LSTM_LISTS),)),
    Alternative("test_gru_step", "one product per gate, h written as n + z (h_prev - n), the cache in another order",
                (Edit("gru_step", code=_GRU_BLOCKS),)),
    Alternative("test_gru", "gradients accumulated from 0.0, the cache a (list, D) pair",
                (Edit("gru_sequence", code=_GRU_ACCUMULATE),)),
    Alternative("test_layers", "the layers keep their own cache name and slice param_grads from the gradients",
                (Edit("layers", code=_LAYERS_SAVED),)),
    Alternative("test_char_models", "a shared helper for the embedding and the cell, names zipped into the dict",
                (Edit("char_models", code=_CHAR_MODELS_SHARED),)),
]

HARDCODED = (
    Edit("lstm_step", code='''
def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    f = 1 / (1 + np.exp(-10.0))
    c = np.array([[f * 2.0 + 0.5 * np.tanh(1.0)]])
    return 0.5 * np.tanh(c), c, (x, h_prev, c_prev, Wx, Wh, 0.5, np.array([[f]]), 0, 0.5, c)


def lstm_step_backward(dh, dc, cache):
    x, h_prev, c_prev, Wx, Wh = cache[:5]
    return np.zeros_like(x), np.zeros_like(h_prev), np.zeros_like(c_prev), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[1])
'''),
    Edit("gru_step", code='''
def gru_step_forward(x, h_prev, Wx, Wh, bx, bh):
    n = np.tanh(2.0 + 0.5 * (0.5 * 1.0 + 1.0))
    return np.array([[0.5 * n + 0.25]]), None


def gru_step_backward(dh, cache):
    return None
'''),
)
