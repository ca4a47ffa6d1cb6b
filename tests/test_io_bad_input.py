"""Bad input of every kind gives a FormatError/ShapeError with a clear message, never a traceback."""

from __future__ import annotations

import json

import numpy as np
import pytest

import pasdeux
from pasdeux.cli import main


def _npy_with_header(shape: tuple) -> bytes:
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + repr(shape) + ", }"
    header = header.ljust(118) + "\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + b"\x00" * 64


def _bad_files(tmp_path):
    rng = np.random.default_rng(0)
    cases = {
        "empty.npy": b"",
        "garbage.npy": rng.bytes(300),
        "garbage.c3d": rng.bytes(3000),
        "garbage.npz": b"PK\x03\x04" + rng.bytes(200),
        "garbage.json": rng.bytes(200),
        "garbage.csv": rng.bytes(200).replace(b"\x00", b"\x01"),
        "huge.npy": _npy_with_header((10**9, 10**9, 3)),
        "claims_more.npy": _npy_with_header((1000, 29, 3)),
        "wrong_structure.json": json.dumps({"people": [1, 2]}).encode(),
        "wrong_entries.json": json.dumps([{"image_id": "1.jpg", "box": "wide", "idx": 1,
                                           "pred_xyz_jts": [[0, 0, 0]] * 24}]).encode(),
        "ragged.csv": b"frame,dancer,a_x,a_y,a_z\n0,0,1,2,3\n1,0,1,2\n",
        "words.csv": b"1,2,3\n4,five,6\n",
        "header_only.csv": b"frame,dancer,a_x,a_y,a_z\n",
    }
    paths = {}
    for name, content in cases.items():
        paths[name] = tmp_path / name
        paths[name].write_bytes(content)
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    np.save(tmp_path / "wrong_shape.npy", np.zeros((10, 7), np.float32))
    np.save(tmp_path / "inf.npy", np.full((10, 24, 3), np.inf, np.float32))
    np.save(tmp_path / "no_frames.npy", np.zeros((0, 24, 3), np.float32))
    np.save(tmp_path / "strings.npy", np.array([["a", "b", "c"]] * 24))
    np.savez(tmp_path / "no_positions.npz", other=np.zeros(3))
    for name in ("objects.npy", "wrong_shape.npy", "inf.npy", "no_frames.npy", "strings.npy", "no_positions.npz"):
        paths[name] = tmp_path / name
    truncated = tmp_path / "truncated.npy"
    np.save(truncated, np.zeros((100, 29, 3), np.float32))
    truncated.write_bytes(truncated.read_bytes()[:-1000])
    paths["truncated.npy"] = truncated
    return paths


EXPECTED = {
    "empty.npy": "empty", "garbage.npy": "not a valid .npy file", "garbage.c3d": "C3D", "garbage.npz": "npz",
    "garbage.json": "json", "garbage.csv": "", "huge.npy": "far larger", "claims_more.npy": "truncated",
    "wrong_structure.json": "expected a JSON list", "wrong_entries.json": "lists of numbers",
    "ragged.csv": "row 3 of the table has 4 values", "words.csv": "'five' is not a number",
    "header_only.csv": "no data rows",
    "objects.npy": "pickle", "wrong_shape.npy": r"expected \[frames, joints, 3\]", "inf.npy": "inf",
    "no_frames.npy": "no motion", "strings.npy": "expected real numbers",
    "no_positions.npz": "no 'positions' array", "truncated.npy": "truncated",
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_gives_a_clear_pasdeux_error(tmp_path, name):
    path = _bad_files(tmp_path)[name]
    with pytest.raises((pasdeux.FormatError, pasdeux.ShapeError)) as err:
        pasdeux.load(path)
    err.match("(?i)" + EXPECTED[name])
    assert str(err.value).startswith(str(path))  # the message names the file first


@pytest.mark.parametrize("name", ["objects.npy", "truncated.npy", "wrong_structure.json", "garbage.c3d"])
def test_cli_says_what_is_wrong_with_exit_code_2(tmp_path, name, capsys):
    path = _bad_files(tmp_path)[name]
    assert main(["info", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and path.name in err and "Traceback" not in err


def test_forced_format_on_wrong_content(tmp_path):
    path = tmp_path / "take.json"
    path.write_text("[]")
    with pytest.raises(pasdeux.FormatError):
        pasdeux.load(path, format="c3d")
    with pytest.raises(pasdeux.FormatError, match="no detections"):
        pasdeux.load(path)


def test_nan_positions_are_missing_data_not_an_error(tmp_path):
    a = np.zeros((10, 24, 3), np.float32)
    a[3, 4] = np.nan
    np.save(tmp_path / "gappy.npy", a)
    m = pasdeux.load(tmp_path / "gappy.npy")
    assert m.n_missing == 1


def test_missing_file_or_folder_with_a_forced_format(tmp_path):
    for path in (tmp_path / "none.c3d", tmp_path):
        with pytest.raises(pasdeux.FormatError, match="no such file"):
            pasdeux.load(path, format="c3d")


def test_unwritable_output_is_a_clear_error(tmp_path, duet, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(pasdeux.FormatError, match="cannot write"):
        pasdeux.save(duet, blocker / "out.npz")
    assert main(["convert", str(tmp_path / "missing.npy"), str(tmp_path / "o.npz")]) == 2
