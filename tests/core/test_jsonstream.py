"""``json_pieces`` writes the text ``json.dumps(indent=2, ensure_ascii=False)`` writes, byte for
byte: findings.json, plan.json and the exports were written by the standard library before, and
a run folder's files must not change with the encoder."""

from __future__ import annotations

import json
from enum import IntEnum, StrEnum
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgscan.jsonstream import BATCH_CHARACTERS, LazyArray, json_pieces, utf8


class _Word(StrEnum):
    ODD = 'a<\u2028é"\\'


class _Number(IntEnum):
    THREE = 3


def _standard(document: Any) -> str:
    return "".join(json.JSONEncoder(indent=2, ensure_ascii=False).iterencode(document)) + "\n"


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.sampled_from([_Word.ODD, _Number.THREE]),
)
_keys = st.one_of(st.text(max_size=5), st.integers(), st.floats(), st.booleans(), st.none())
_documents = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(_keys, inner, max_size=4),
    ),
    max_leaves=30,
)


@given(_documents)
def test_any_document_is_written_as_the_standard_library_writes_it(document: Any) -> None:
    assert "".join(json_pieces(document)) == _standard(document)


def test_a_lazy_array_is_written_as_its_elements() -> None:
    document = {
        "rows": LazyArray([1, 2, 3], lambda n: {"n": n, "list": [n] * n, "empty": {}}),
        "none": LazyArray([], str),
        "nested": [[{"a": [[], {}]}]],
    }
    plain = {
        "rows": [{"n": n, "list": [n] * n, "empty": {}} for n in (1, 2, 3)],
        "none": [],
        "nested": [[{"a": [[], {}]}]],
    }
    assert "".join(json_pieces(document)) == json.dumps(plain, indent=2, ensure_ascii=False) + "\n"
    top = LazyArray(["x", "y"], lambda s: {"s": s})
    assert "".join(json_pieces(top)) == json.dumps([{"s": "x"}, {"s": "y"}], indent=2) + "\n"


@pytest.mark.parametrize("document", [{"a": object()}, {(1,): 2}, [set()], {"a": [{"b": b""}]}])
def test_what_json_cannot_write_is_the_same_type_error(document: Any) -> None:
    with pytest.raises(TypeError) as expected:
        json.dumps(document, indent=2)
    with pytest.raises(TypeError) as raised:
        "".join(json_pieces(document))
    assert str(raised.value) == str(expected.value)


def test_a_batch_of_large_pieces_stays_small():
    # Whole findings of several kilobytes are pieces too: a batch is bounded by its size.
    piece = "é" * (BATCH_CHARACTERS // 3)
    batches = list(utf8([piece] * 10))
    assert b"".join(batches) == (piece * 10).encode("utf-8")
    assert max(len(batch.decode("utf-8")) for batch in batches) <= BATCH_CHARACTERS + len(piece)
    assert len(batches) >= 3


def test_small_pieces_are_joined_by_count():
    batches = list(utf8(["ab"] * 10, batch=4))
    assert batches == [b"abababab", b"abababab", b"abab"]
