"""Intermediate files: atomic writers leave whole files or none; readers name a corrupt or missing file."""

import json
import os
from pathlib import Path
import pickle

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from gandiv import results_io as rio  # noqa: E402
from gandiv.results_io import CorruptResultError, MissingResultError  # noqa: E402

RECORD = {"target": "bimodal_1d", "rule": "minimax", "pi": 0.5, "seed": 3, "diverged": False, "wall_s": 1.25,
          "minima": [{"theta": [0.1, -2.5e-7], "value": 0.123456789}]}
FRAME = pd.DataFrame({"pi": [0.1, 0.5, 0.9], "quantity": ["kl_pq", "kl_qp", "js, pi"], "value": [1 / 3, 2.5e-9, np.nan],
                      "diverged": [False, True, False]})
ARRAYS = {"steps": np.arange(4), "samples": np.random.default_rng(0).normal(size=(4, 50, 2)).astype(np.float32),
          "probe_logits": np.linspace(-1, 1, 30).reshape(3, 10)}


def _leftovers(folder):
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".tmp") or p.name.startswith("tmp-"))


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _assert_corrupt(read, path):
    with pytest.raises(CorruptResultError) as info:
        read(path)
    message = str(info.value)
    assert str(path) in message and "delete it" in message and f"rm {path}" in message
    assert info.value.path == str(path)
    return message


# ------------------------------------------------------------------------------------------------
# json


def test_json_round_trip_and_the_bytes_written_today(tmp_path):
    path = tmp_path / "sub" / "status.json"
    rio.write_json(path, RECORD)
    assert path.read_text() == json.dumps(RECORD, indent=2) + "\n"
    assert rio.read_json(path, required=("rule", "pi")) == RECORD
    assert _leftovers(tmp_path) == []


def test_json_default_serialiser_as_the_verdicts_use_it(tmp_path):
    path = tmp_path / "verdict.json"
    record = {"numbers": [{"value": np.float64(0.25)}, {"value": np.float32(1.5)}]}
    rio.write_json(path, record, default=float)
    assert path.read_text() == json.dumps(record, indent=2, default=float) + "\n"


@pytest.mark.parametrize("damage", ["truncated", "empty", "wrong format", "binary", "missing key", "not an object"])
def test_damaged_json_is_corrupt_and_named(tmp_path, damage):
    path = tmp_path / "results" / "gan" / "run" / "status.json"
    rio.write_json(path, RECORD)
    if damage == "truncated":
        _truncate(path)
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "wrong format":
        path.write_text("target,rule\nbimodal_1d,minimax\n")
    elif damage == "binary":
        path.write_bytes(b"\x89HDF\r\n\x1a\n\x00\xff\xfe")
    elif damage == "not an object":
        path.write_text("[1, 2]\n")
    message = _assert_corrupt(lambda p: rio.read_json(p, required=("rule", "no_such_key" if damage == "missing key"
                                                                     else "pi")), path)
    if damage == "missing key":
        assert "'no_such_key'" in message


def test_reported_example_message(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = "results/gan/bimodal_1d/gaussian/minimax/pi0.5/seed0/status.json"
    os.makedirs(os.path.dirname(path))
    open(path, "w").write("{\n")
    with pytest.raises(CorruptResultError) as info:
        rio.read_json(path)
    assert str(info.value) == (f"{path}: cannot be read (Expecting property name enclosed in double quotes: line 2 "
                               f"column 1 (char 2)); delete it and run Snakemake again to redo the job that writes "
                               f"it (rm {path})")
    assert isinstance(info.value, ValueError)  # callers that caught JSONDecodeError/ValueError still do


def test_missing_file_is_named(tmp_path):
    path = tmp_path / "nothing.json"
    for read in (rio.read_json, rio.read_csv, rio.read_npz, rio.read_text):
        with pytest.raises(MissingResultError, match="nothing.json: missing") as info:
            read(path)
        assert "Snakemake" in str(info.value)
        assert isinstance(info.value, FileNotFoundError)


def test_errors_survive_pickling(tmp_path):
    error = CorruptResultError(tmp_path / "a.json", "empty file")
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error) and again.path == error.path


def test_failed_json_write_leaves_nothing(tmp_path):
    path = tmp_path / "status.json"
    with pytest.raises(TypeError):
        rio.write_json(path, {"bad": object()})
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "status.json"
    rio.write_json(path, RECORD)
    with pytest.raises(TypeError):
        rio.write_json(path, {"bad": object()})
    assert rio.read_json(path) == RECORD
    assert _leftovers(tmp_path) == []


# ------------------------------------------------------------------------------------------------
# csv


def test_csv_round_trip_and_the_bytes_written_today(tmp_path):
    path = tmp_path / "a" / "eval.csv"
    for fmt in ("%.10g", "%.8g"):
        rio.write_csv(path, FRAME, float_format=fmt)
        assert path.read_text() == FRAME.to_csv(index=False, float_format=fmt)
    back = rio.read_csv(path, required=("pi", "value"))
    pd.testing.assert_frame_equal(back, pd.read_csv(path))
    pd.testing.assert_frame_equal(back, FRAME)
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("damage", ["truncated", "empty", "binary", "short row", "missing column"])
def test_damaged_csv_is_corrupt_and_named(tmp_path, damage):
    path = tmp_path / "eval.csv"
    rio.write_csv(path, pd.concat([FRAME] * 20, ignore_index=True), float_format="%.10g")
    if damage == "truncated":
        _truncate(path)
        assert not path.read_text().endswith("\n")
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "binary":
        rio.write_npz(path, **ARRAYS)  # an npz (zip) where a CSV should be
    elif damage == "short row":
        path.write_text("pi,quantity,value\n0.1,kl_pq\n0.5,kl_qp,1\n")
    required = ("pi", "no_such_column") if damage == "missing column" else ("pi",)
    _assert_corrupt(lambda p: rio.read_csv(p, required=required), path)


def test_json_where_a_csv_should_be_lacks_the_columns(tmp_path):
    path = tmp_path / "eval.csv"
    rio.write_json(path, RECORD)
    _assert_corrupt(lambda p: rio.read_csv(p, required=("quantity", "value")), path)


def test_failed_csv_write_leaves_nothing(tmp_path):
    class Broken(pd.DataFrame):
        def to_csv(self, path, **kwargs):
            open(path, "w").write("pi,val")  # half a file, then the job dies
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        rio.write_csv(tmp_path / "eval.csv", Broken(FRAME), float_format="%.10g")
    assert list(tmp_path.iterdir()) == []


def test_tab_separated_benchmark_file(tmp_path):
    path = tmp_path / "bench.tsv"
    path.write_text("s\th:m:s\tmax_rss\n12.3456\t0:00:12\t-\n")
    table = rio.read_csv(path, required=("s",), sep="\t", dtype=str, keep_default_na=False)
    assert table["s"].iloc[0] == "12.3456"


# ------------------------------------------------------------------------------------------------
# npz


def test_npz_round_trip_and_the_bytes_written_today(tmp_path):
    path = tmp_path / "snapshots.npz"
    rio.write_npz(path, **ARRAYS)
    back = rio.read_npz(path, required=("steps", "samples"))
    assert set(back) == set(ARRAYS)
    for name, array in ARRAYS.items():
        assert back[name].dtype == array.dtype
        np.testing.assert_array_equal(back[name], array)
    reference = tmp_path / "reference.npz"
    with open(reference, "wb") as handle:
        np.savez(handle, **ARRAYS)
    assert path.read_bytes() == reference.read_bytes()
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("damage", ["truncated", "empty", "json", "npy", "flipped bytes", "missing array"])
def test_damaged_npz_is_corrupt_and_named(tmp_path, damage):
    path = tmp_path / "snapshots.npz"
    rio.write_npz(path, **ARRAYS)
    if damage == "truncated":
        _truncate(path)
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "json":
        rio.write_json(path, RECORD)
    elif damage == "npy":
        with open(path, "wb") as handle:
            np.save(handle, ARRAYS["steps"])
    elif damage == "flipped bytes":  # a damaged member: the archive's index is intact, its data is not
        data = bytearray(path.read_bytes())
        start = data.index(b"samples.npy") + 200
        data[start:start + 64] = bytes(64)
        path.write_bytes(bytes(data))
    required = ("steps", "no_such_array") if damage == "missing array" else ("steps",)
    _assert_corrupt(lambda p: rio.read_npz(p, required=required), path)


def test_failed_npz_write_leaves_nothing(tmp_path):
    class Unreadable:
        def __array__(self, dtype=None, copy=None):
            raise RuntimeError("killed while writing")

    with pytest.raises(RuntimeError):  # the first array is already in the archive when the second fails
        rio.write_npz(tmp_path / "snapshots.npz", steps=np.arange(3), bad=Unreadable())
    assert list(tmp_path.iterdir()) == []


def test_failed_generic_write_leaves_nothing(tmp_path):
    def write(tmp):
        tmp.write_bytes(b"GIF89a half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rio.atomic_write(tmp_path / "movie.gif", write)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------------
# text


def test_text_round_trip(tmp_path):
    path = tmp_path / "report.html"
    rio.write_text(path, "<p>\u2014 verdict</p>\n")
    assert rio.read_text(path) == "<p>\u2014 verdict</p>\n"
    assert path.read_bytes() == "<p>\u2014 verdict</p>\n".encode("utf-8")
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("damage", ["empty", "binary"])
def test_damaged_text_is_corrupt(tmp_path, damage):
    path = tmp_path / "note.txt"
    path.write_bytes(b"" if damage == "empty" else b"\xff\xfe\x00bad")
    _assert_corrupt(rio.read_text, path)


# ------------------------------------------------------------------------------------------------
# Keras weights


@pytest.fixture(scope="module")
def keras_net():
    import keras

    def make(seed):
        keras.utils.set_random_seed(seed)
        return keras.Sequential([keras.Input((2,)), keras.layers.Dense(4), keras.layers.Dense(1)])

    return make


def test_weights_round_trip(tmp_path, keras_net):
    net, other = keras_net(0), keras_net(1)
    path = tmp_path / "run" / "generator.weights.h5"
    rio.save_weights(net, path)
    assert _leftovers(tmp_path) == []
    rio.load_weights(other, path)
    for a, b in zip(net.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("damage", ["truncated", "empty", "json", "other architecture"])
def test_damaged_weights_are_corrupt_and_named(tmp_path, keras_net, damage):
    import keras

    path = tmp_path / "generator.weights.h5"
    rio.save_weights(keras_net(0), path)
    if damage == "truncated":
        _truncate(path)
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "json":
        path.write_text(json.dumps(RECORD))
    elif damage == "other architecture":
        keras.utils.set_random_seed(0)
        rio.save_weights(keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)]), path)
    _assert_corrupt(lambda p: rio.load_weights(keras_net(2), p), path)


def test_failed_weights_write_leaves_nothing(tmp_path):
    class Dies:
        def save_weights(self, path):
            open(path, "wb").write(b"\x89HDF half")
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        rio.save_weights(Dies(), tmp_path / "generator.weights.h5")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------------
# the reported fault, end to end at the Python level


def _never(*args):
    raise AssertionError("must not get this far")


def _smoke_config():
    import yaml

    from gandiv.pipeline.config import load_schema, validate_config

    return validate_config(yaml.safe_load((Path(__file__).parents[1] / "config/smoke.yaml").read_text()), load_schema())


SMOKE_RUN = "results/gan/grid/bimodal_1d/gaussian/minimax/plain/pi0.5/seed0"


def test_evaluation_job_names_a_truncated_status(tmp_path, monkeypatch):
    from gandiv.pipeline.gan_jobs import evaluate_group_job

    config = _smoke_config()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("gandiv.gan.training.configure_tensorflow", lambda *a: None)  # TF may be running already
    os.makedirs(SMOKE_RUN)
    rio.write_json(f"{SMOKE_RUN}/status.json", RECORD)
    _truncate(tmp_path / SMOKE_RUN / "status.json")
    with pytest.raises(CorruptResultError) as info:
        evaluate_group_job(config, "grid", "bimodal_1d", [SMOKE_RUN], 1, "eval.csv")
    message = str(info.value)
    assert message.startswith(f"{SMOKE_RUN}/status.json: cannot be read (")
    assert message.endswith(f"delete it and run Snakemake again to redo the job that writes it "
                            f"(rm {SMOKE_RUN}/status.json)")
    assert not os.path.exists("eval.csv")


def test_evaluation_job_names_a_truncated_weights_file(tmp_path, monkeypatch):
    from gandiv.exact.densities import target_from_config
    from gandiv.gan.runs import GanRun, training_settings
    from gandiv.gan.training import build_run
    from gandiv.pipeline.gan_jobs import evaluate_group_job

    config = _smoke_config()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("gandiv.gan.training.configure_tensorflow", lambda *a: None)  # TF may be running already
    run = GanRun.from_folder(SMOKE_RUN)
    model = build_run(target_from_config(config["targets"]["bimodal_1d"]), run.generator, run.streams(),
                      training_settings(config, run))
    rio.write_json(run.file("status.json"), run.status | {"diverged": False})
    rio.save_weights(model.generator, run.file("generator.weights.h5"))
    rio.save_weights(model.discriminator, run.file("discriminator.weights.h5"))
    _truncate(tmp_path / run.file("discriminator.weights.h5"))
    with pytest.raises(CorruptResultError, match="discriminator.weights.h5: cannot be read .*delete it"):
        evaluate_group_job(config, "grid", "bimodal_1d", [SMOKE_RUN], 1, "eval.csv")
    assert not (tmp_path / "eval.csv").exists()
    assert _leftovers(tmp_path) == []
