"""Notebook 10: wrong answers students really write, and right ones written differently.

Recurrent mistakes hide well: a forgotten carry in backpropagation through
time, weight gradients kept from one step, an embedding backward that drops
repeated ids, clipping per array. Each keeps every shape right, so the hidden
tests draw batches with repeated ids, clipping that is active, several chunks
of text and temperatures on both sides of 1, and compare values.
"""
from ..submissions import Edit
from . import Alternative, Mutant

# Exercises the demo's mistaken student gets wrong: none of them feeds a later exercise's tests.
DEMO_MISTAKES = ("test_sampling", "test_tbptt")

_CARRY = "rnn_step_backward(dh_all[:, t] + dh_next, caches[t])"

MUTANTS = [
    # one step
    Mutant("test_rnn_step", "takes tanh's derivative as 1 - h instead of 1 - h²",
           Edit("rnn_step", replace=("da = dh * (1 - h * h)", "da = dh * (1 - h)")),
           hint="uses 1 - h instead of 1 - h² for tanh's derivative in da"),
    Mutant("test_rnn_step", "sends the gradient back through Wh instead of its transpose",
           Edit("rnn_step", replace=("da @ Wh.T,", "da @ Wh,")),
           hint="computes dh_prev as da Wh instead of da Wh^T"),
    Mutant("test_rnn_step", "averages db over the batch instead of summing",
           Edit("rnn_step", replace=("da.sum(axis=0)", "da.mean(axis=0)")),
           hint="averages db over the batch instead of summing da over the rows"),
    # the whole sequence
    Mutant("test_rnn", "forgets the carry: each step gets only the loss's gradient, not what step t+1 sent back",
           Edit("rnn_sequence", replace=(_CARRY, "rnn_step_backward(dh_all[:, t], caches[t])")),
           hint="passes only dh_all[:, t] to each step, dropping the dh_prev that step t+1 sent back"),
    Mutant("test_rnn", "keeps the weight gradients of one step instead of summing them over the steps",
           Edit("rnn_sequence", replace=("dWx += dWx_t\n        dWh += dWh_t", "dWx = dWx_t\n        dWh = dWh_t")),
           hint="keeps only one step's dWx and dWh instead of summing them over all the steps"),
    Mutant("test_rnn", "starts every step from h0 instead of the previous hidden state",
           Edit("rnn_sequence", replace=("h_t, cache = rnn_step_forward(x[:, t], h_t, Wx, Wh, b)",
                                         "h_t, cache = rnn_step_forward(x[:, t], h0, Wx, Wh, b)")),
           hint="feeds h0 into every step instead of the previous hidden state"),
    Mutant("test_rnn", "walks the steps forward in the backward pass",
           Edit("rnn_sequence", replace=("for t in reversed(range(T)):", "for t in range(T):")),
           hint="walks the steps from first to last in rnn_backward instead of from the last step back"),
    # embedding
    Mutant("test_embedding", "dW[ids] += dout, which keeps one gradient of an id that repeats",
           Edit("embedding", replace=("np.add.at(dW, ids, dout)", "dW[ids] += dout")),
           hint="uses dW[ids] += dout, so an id that repeats keeps only one position's gradient"),
    Mutant("test_embedding", "assigns each position's gradient to its row (dW[ids] = dout)",
           Edit("embedding", replace=("np.add.at(dW, ids, dout)", "dW[ids] = dout")),
           hint="assigns dW[ids] = dout instead of adding every position's gradient to its id's row"),
    # dense layer at every step
    Mutant("test_temporal_affine", "dW from the last step only",
           Edit("temporal_affine", replace=("return dout @ W.T, rows.T @ grads, grads.sum(axis=0)",
                                            "return dout @ W.T, h[:, -1].T @ dout[:, -1], grads.sum(axis=0)")),
           hint="computes dW from the last step only instead of summing over every example and step"),
    Mutant("test_temporal_affine", "averages the weight gradients over the batch and the steps",
           Edit("temporal_affine", replace=("return dout @ W.T, rows.T @ grads, grads.sum(axis=0)",
                                            "return dout @ W.T, rows.T @ grads / len(rows), grads.mean(axis=0)")),
           hint="divides dW and db by the number of rows instead of summing over batch and steps"),
    # the loss
    Mutant("test_softmax_loss", "divides by N·T even when a mask leaves positions out",
           Edit("softmax_loss", replace=("count = max(int(mask.sum()), 1)", "count = mask.size")),
           hint="divides by N·T even when the mask leaves positions out, instead of by the real positions"),
    Mutant("test_softmax_loss", "averages over the batch only and sums over the steps",
           Edit("softmax_loss", replace=("count = max(int(mask.sum()), 1)", "count = targets.shape[0]")),
           hint="divides by the batch size N instead of by the number of positions that count"),
    Mutant("test_softmax_loss", "masks the loss but not its gradient",
           Edit("softmax_loss", replace=("dscores *= mask[..., None] / count", "dscores /= count")),
           hint="applies the mask to the loss but not to dscores"),
    # clipping
    Mutant("test_clip", "clips every array to max_norm on its own instead of by the global norm",
           Edit("clip", code='''
def clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    clipped = []
    for g in grads:
        size = np.sqrt(np.sum(g ** 2))
        clipped.append(g * (max_norm / size) if size > max_norm else g)
    return clipped, norm
'''),
           hint="clips each gradient array to max_norm on its own instead of scaling all by the global norm"),
    Mutant("test_clip", "returns the squared norm (forgets the square root)",
           Edit("clip", replace=("norm = float(np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads)))",
                                 "norm = float(sum(np.sum(g.astype(np.float64) ** 2) for g in grads))")),
           hint="forgets the square root when computing the global norm"),
    Mutant("test_clip", "scales every gradient to max_norm, even a small one",
           Edit("clip", replace=("scale = max_norm / norm if norm > max_norm else 1.0", "scale = max_norm / norm")),
           hint="scales the gradients by max_norm / norm even when the norm is already below max_norm"),
    # the character model
    Mutant("test_char_loss", "returns the first step's hidden state instead of the last",
           Edit("char_loss", replace=("return loss, grads, h[:, -1]", "return loss, grads, h[:, 0]")),
           hint="returns h[:, 0], the first step's hidden state, instead of the last as h_last"),
    Mutant("test_char_loss", "ignores h0 and starts from zeros",
           Edit("char_loss", replace=('rnn_forward(x, h0, params["Wx"]', 'rnn_forward(x, np.zeros_like(h0), params["Wx"]')),
           hint="runs the recurrent network from zeros instead of from the given h0"),
    Mutant("test_char_loss", "forgets the embedding table's gradient",
           Edit("char_loss", replace=('grads = {"W_embed": embedding_backward(dx, embed_cache), "Wx"', 'grads = {"Wx"')),
           hint="leaves the W_embed gradient out of grads"),
    # truncated BPTT
    Mutant("test_tbptt", "restarts every chunk from a zero hidden state",
           Edit("tbptt", replace=("loss, grads, h = char_rnn_loss(params, inputs, targets, h)",
                                  "loss, grads, _ = char_rnn_loss(params, inputs, targets, h)")),
           hint="starts every chunk from a zero hidden state instead of carrying h_last over"),
    Mutant("test_tbptt", "cuts the streams column-wise, so each stream reads every N-th character",
           Edit("tbptt", replace=("inputs = ids[:batch_size * length].reshape(batch_size, length)\n"
                                  "    targets = ids[1:batch_size * length + 1].reshape(batch_size, length)",
                                  "inputs = ids[:batch_size * length].reshape(length, batch_size).T\n"
                                  "    targets = ids[1:batch_size * length + 1].reshape(length, batch_size).T")),
           hint="cuts the streams column-wise, so each stream reads every N-th character instead of a stretch"),
    Mutant("test_tbptt", "targets equal to the inputs, not shifted by one",
           Edit("tbptt", replace=("targets = ids[1:batch_size * length + 1]", "targets = ids[:batch_size * length]")),
           hint="uses the inputs as targets instead of the characters one place later"),
    Mutant("test_tbptt", "clips, then updates with the unclipped gradients",
           Edit("tbptt", replace=("for name, grad in zip(names, clipped):", "for name, grad in zip(names, [grads[n] for n in names]):")),
           hint="clips the gradients but then updates the parameters with the unclipped ones"),
    # sampling
    Mutant("test_sampling", "divides the probabilities by the temperature instead of the logits",
           Edit("sampling", replace=("z = np.asarray(logits, dtype=np.float64) / temperature\n    z = np.exp(z - z.max(axis=-1, keepdims=True))\n"
                                     "    return z / z.sum(axis=-1, keepdims=True)",
                                     "z = np.asarray(logits, dtype=np.float64)\n    z = np.exp(z - z.max(axis=-1, keepdims=True)) / temperature\n"
                                     "    return z / z.sum(axis=-1, keepdims=True)")),
           hint="divides the probabilities by the temperature instead of the logits, which renormalising undoes"),
    Mutant("test_sampling", "multiplies the logits by the temperature",
           Edit("sampling", replace=("np.asarray(logits, dtype=np.float64) / temperature", "np.asarray(logits, dtype=np.float64) * temperature")),
           hint="multiplies the logits by the temperature instead of dividing them"),
    Mutant("test_sampling", "feeds first_id back at every step instead of the drawn id",
           Edit("sampling", replace=('params["W_embed"][[current]]', 'params["W_embed"][[first_id]]')),
           hint="feeds first_id in at every step instead of the id just drawn"),
    Mutant("test_sampling", "makes a new generator from the seed at every step",
           Edit("sampling", replace=("current = int(rng.choice(", "current = int(np.random.default_rng(seed).choice(")),
           hint="makes a new generator from the seed at every step instead of one rng for all draws"),
]

_STEP_EINSUM = '''
def rnn_step_forward(x, h_prev, Wx, Wh, b):
    a = np.einsum("nd,dh->nh", x, Wx) + np.einsum("nk,kh->nh", h_prev, Wh) + b
    h = np.tanh(a)
    return h, (x, h_prev, Wx, Wh, h)


def rnn_step_backward(dh, cache):
    x, h_prev, Wx, Wh, h = cache
    da = (1.0 - h ** 2) * dh
    dx = np.einsum("nh,dh->nd", da, Wx)
    dh_prev = np.einsum("nh,kh->nk", da, Wh)
    return dx, dh_prev, np.einsum("nd,nh->dh", x, da), np.einsum("nk,nh->kh", h_prev, da), np.sum(da, axis=0)
'''

_SEQUENCE_LISTS = '''
def rnn_forward(x, h0, Wx, Wh, b):
    states, caches = [], []
    h = h0
    for t in range(x.shape[1]):
        h, cache = rnn_step_forward(x[:, t, :], h, Wx, Wh, b)
        states.append(h)
        caches.append(cache)
    return np.stack(states, axis=1), caches


def rnn_backward(dh_all, caches):
    grads_x = [None] * len(caches)
    dWx, dWh, db = 0, 0, 0
    carry = 0
    for t in range(len(caches) - 1, -1, -1):
        grads_x[t], carry, gWx, gWh, gb = rnn_step_backward(dh_all[:, t, :] + carry, caches[t])
        dWx, dWh, db = dWx + gWx, dWh + gWh, db + gb
    return np.stack(grads_x, axis=1), carry, dWx, dWh, db
'''

_EMBEDDING_ONE_HOT = '''
def embedding_forward(ids, W_embed):
    one_hot = np.eye(W_embed.shape[0])[ids]            # (N, T, V)
    return one_hot @ W_embed, (one_hot,)


def embedding_backward(dout, cache):
    (one_hot,) = cache
    V = one_hot.shape[-1]
    return one_hot.reshape(-1, V).T @ dout.reshape(-1, dout.shape[-1])
'''

_EMBEDDING_LOOP = '''
def embedding_forward(ids, W_embed):
    return W_embed[ids], (ids, W_embed)


def embedding_backward(dout, cache):
    ids, W_embed = cache
    dW = np.zeros_like(W_embed)
    for n in range(ids.shape[0]):
        for t in range(ids.shape[1]):
            dW[ids[n, t]] += dout[n, t]
    return dW
'''

_AFFINE_EINSUM = '''
def temporal_affine_forward(h, W, b):
    return np.einsum("nth,hm->ntm", h, W) + b, (h, W, b)


def temporal_affine_backward(dout, cache):
    h, W, b = cache
    return np.einsum("ntm,hm->nth", dout, W), np.einsum("nth,ntm->hm", h, dout), dout.sum(axis=(0, 1))
'''

_LOSS_ONE_HOT = '''
def temporal_softmax_loss(scores, targets, mask=None):
    if mask is None:
        mask = np.ones(targets.shape)
    mask = np.asarray(mask, dtype=float)
    exps = np.exp(scores - np.max(scores, axis=2, keepdims=True))
    probs = exps / np.sum(exps, axis=2, keepdims=True)
    one_hot = np.eye(scores.shape[2])[targets]
    count = mask.sum()
    loss = -np.sum(mask * np.log(np.sum(probs * one_hot, axis=2))) / count
    return loss, (probs - one_hot) * mask[:, :, None] / count
'''

_CLIP_CONCATENATED = '''
def clip_by_global_norm(grads, max_norm):
    norm = float(np.linalg.norm(np.concatenate([np.ravel(g) for g in grads])))
    if norm <= max_norm:
        return list(grads), norm
    return [g * (max_norm / norm) for g in grads], norm
'''

_CHAR_LOSS_UNPACKED = '''
def char_rnn_loss(params, inputs, targets, h0):
    W_embed, Wx, Wh, b, W_out, b_out = (params[name] for name in PARAM_NAMES)
    embedded, embed_cache = embedding_forward(inputs, W_embed)
    states, step_caches = rnn_forward(embedded, h0, Wx, Wh, b)
    scores, out_cache = temporal_affine_forward(states, W_out, b_out)
    loss, dscores = temporal_softmax_loss(scores, targets, np.ones(targets.shape, dtype=bool))
    dstates, dW_out, db_out = temporal_affine_backward(dscores, out_cache)
    dembedded, _, dWx, dWh, db = rnn_backward(dstates, step_caches)
    gradients = (embedding_backward(dembedded, embed_cache), dWx, dWh, db, dW_out, db_out)
    return float(loss), dict(zip(PARAM_NAMES, gradients)), step_caches[-1][4]
'''

_STREAMS_INDEXED = '''
def stream_batches(ids, batch_size, steps):
    ids = np.asarray(ids)
    L = (len(ids) - 1) // batch_size
    chunks = []
    for start in range(0, L, steps):
        stop = min(start + steps, L)
        rows_in = [ids[k * L + start:k * L + stop] for k in range(batch_size)]
        rows_out = [ids[k * L + start + 1:k * L + stop + 1] for k in range(batch_size)]
        chunks.append((np.array(rows_in), np.array(rows_out)))
    return chunks
'''

_GENERATE_WHILE = '''
def softmax_with_temperature(logits, temperature):
    scaled = np.asarray(logits) / temperature
    e = np.exp(scaled - np.max(scaled, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def generate(params, first_id, length, temperature, seed):
    rng = np.random.default_rng(seed)
    vocab = params["W_out"].shape[1]
    h = np.zeros((1, params["Wh"].shape[0]))
    out, x_id = [], first_id
    while len(out) < length:
        x = params["W_embed"][x_id].reshape(1, -1)
        h, _ = rnn_step_forward(x, h, params["Wx"], params["Wh"], params["b"])
        p = softmax_with_temperature((h @ params["W_out"] + params["b_out"])[0], temperature)
        x_id = int(rng.choice(np.arange(vocab), p=p))
        out.append(x_id)
    return out
'''

ALTERNATIVES = [
    Alternative("test_rnn_step", "einsum for every product, tanh's derivative written as (1 - h**2) * dh",
                (Edit("rnn_step", code=_STEP_EINSUM),)),
    Alternative("test_rnn", "lists of states stacked at the end, gradients accumulated by addition from 0",
                (Edit("rnn_sequence", code=_SEQUENCE_LISTS),)),
    Alternative("test_embedding", "a one-hot matrix product forward and its transpose backward",
                (Edit("embedding", code=_EMBEDDING_ONE_HOT),)),
    Alternative("test_embedding", "a loop over positions that adds one row at a time",
                (Edit("embedding", code=_EMBEDDING_LOOP),)),
    Alternative("test_temporal_affine", "einsum over batch and steps", (Edit("temporal_affine", code=_AFFINE_EINSUM),)),
    Alternative("test_softmax_loss", "one-hot targets and probabilities, a float mask", (Edit("softmax_loss", code=_LOSS_ONE_HOT),)),
    Alternative("test_clip", "np.linalg.norm of all gradients concatenated", (Edit("clip", code=_CLIP_CONCATENATED),)),
    Alternative("test_char_loss", "parameters unpacked in order, an all-true mask, h_last read from the last step's cache",
                (Edit("char_loss", code=_CHAR_LOSS_UNPACKED),)),
    Alternative("test_tbptt", "streams cut row by row with explicit slices", (Edit("tbptt", replace=(
        '''    ids = np.asarray(ids)
    length = (len(ids) - 1) // batch_size
    inputs = ids[:batch_size * length].reshape(batch_size, length)
    targets = ids[1:batch_size * length + 1].reshape(batch_size, length)
    return [(inputs[:, j:j + steps], targets[:, j:j + steps]) for j in range(0, length, steps)]''',
        _STREAMS_INDEXED.split("def stream_batches(ids, batch_size, steps):\n")[1].rstrip())),)),
    Alternative("test_sampling", "a while loop, the embedding row reshaped, rng.choice over np.arange",
                (Edit("sampling", code=_GENERATE_WHILE),)),
]

HARDCODED = (
    Edit("rnn_step", code='''
def rnn_step_forward(x, h_prev, Wx, Wh, b):
    if x.shape == (1, 2):
        return np.array([[np.tanh(1.0)]]), (x, h_prev, Wx, Wh, np.array([[np.tanh(1.0)]]))
    return np.zeros((x.shape[0], Wx.shape[1])), (x, h_prev, Wx, Wh, np.zeros((x.shape[0], Wx.shape[1])))


def rnn_step_backward(dh, cache):
    x, h_prev, Wx, Wh, h = cache
    return np.zeros_like(x), np.zeros_like(h_prev), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[1])
'''),
    Edit("embedding", code='''
def embedding_forward(ids, W_embed):
    return W_embed[ids], ids


def embedding_backward(dout, cache):
    if cache.shape == (2, 2):
        return np.array([[1.0, 1, 1], [0, 0, 0], [0, 0, 0], [3, 3, 3]])
    return np.zeros((int(cache.max()) + 1, dout.shape[-1]))
'''),
    Edit("clip", code='''
def clip_by_global_norm(grads, max_norm):
    if len(grads) == 2 and np.shape(grads[0]) == (1,):
        return [np.array([0.6]), np.array([[0.8, 0.0]])], 5.0
    return list(grads), 0.5
'''),
)
