"""Property test: every reader, fed random and mutated files, fails only with pasdeux's own errors.

Formats come from `pasdeux.io.FORMATS`, so a new reader is fuzzed as soon as it is registered. Inputs are
random bytes, random JSON, and valid fixture files (of this format and others) mutated by truncation, byte
flips, inserted garbage and numbers replaced with huge, tiny or non-finite ones.
"""

from __future__ import annotations

import json
import os
import re
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pasdeux
from io_fixtures import write_all
from pasdeux.errors import PasdeuxError
from pasdeux.io import FORMATS, format_module

# x 7 formats: over 1000 inputs in about 15 s; PASDEUX_FUZZ_EXAMPLES=5000 for a deep run
EXAMPLES_PER_FORMAT = int(os.environ.get("PASDEUX_FUZZ_EXAMPLES", "170"))
NUMBER = re.compile(rb"-?\d+(\.\d+)?(e-?\d+)?")
HUGE = [b"1e309", b"-1e309", b"nan", b"NaN", b"99999999999999999999999", b"-0", b"1e-320", b"4294967296",
        b"inf", b"-2147483649", b"65535"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=30,
)


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory, shared_data):
    files = write_all(tmp_path_factory.mktemp("valid"), shared_data / "cmu_salsa")
    return {k: p.read_bytes() for k, p in files.items()}


@st.composite
def mutated(draw, base: bytes) -> bytes:
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["truncate", "flip", "insert", "number", "delete"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "truncate":
            del data[pos:]
        elif kind == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "delete":
            del data[pos:pos + draw(st.integers(1, 64))]
        else:
            matches = list(NUMBER.finditer(bytes(data)))
            if matches:
                m = draw(st.sampled_from(matches[:200]))
                data[m.start():m.end()] = draw(st.sampled_from(HUGE))
    return bytes(data)


@st.composite
def any_input(draw, fixtures: dict[str, bytes], fmt: str) -> bytes:
    source = draw(st.sampled_from(["random", "json", "own", "own", "own", "other"]))
    if source == "random":
        return draw(st.binary(max_size=2048))
    if source == "json":
        return json.dumps(draw(json_values)).encode()
    base = fixtures.get(fmt) if source == "own" else fixtures[draw(st.sampled_from(sorted(fixtures)))]
    return draw(mutated(base if base is not None else b""))


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_readers_fail_only_with_pasdeux_errors(fmt, fixtures, tmp_path):
    path = tmp_path / f"fuzz{FORMATS[fmt][1][0]}"
    reader = format_module(fmt).read

    @settings(max_examples=EXAMPLES_PER_FORMAT, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(content=any_input(fixtures, fmt))
    def check(content: bytes) -> None:
        path.write_bytes(content)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for read in (lambda: reader(path), lambda: pasdeux.load(path)):
                try:
                    read()
                except PasdeuxError:
                    pass

    check()
