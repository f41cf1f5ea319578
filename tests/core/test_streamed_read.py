"""Reading findings.json an element at a time (``jsondoc.streamed_object``) gives what reading it
whole gives, or gives up: a document it reads is the document ``json.loads`` reads, and
findings.json as orgscan writes it is always read so, never held whole beside its result."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgscan import findings
from orgscan.findings import FindingsFileError, dumps, loads
from orgscan.jsondoc import streamed_object
from tests.reliability.documents import sample_result

_MAKERS = {"items": lambda element, index: (index, element), "other": lambda e, i: e}

_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**15), 10**15) | st.floats(-1e9, 1e9) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=8,
)
_objects = st.dictionaries(
    st.sampled_from(["items", "other", "run", "x"]), _values | st.lists(_values), max_size=4
)


@given(document=_objects, indent=st.sampled_from([None, 0, 2, "\t"]))
def test_a_document_read_an_element_at_a_time_is_the_one_json_reads(
    document: dict[str, Any], indent: int | str | None
) -> None:
    text = json.dumps(document, indent=indent, ensure_ascii=False)
    streamed = streamed_object(text, _MAKERS)
    if not document:
        assert streamed is None  # an empty object is read whole
        return
    # Nothing here is unusual (hypothesis's text holds no lone surrogate): it is never given up.
    assert streamed is not None
    read, made = streamed
    whole = json.loads(text)
    assert read.keys() == whole.keys()
    for key, value in whole.items():
        if key in made:
            assert read[key] == []
            assert made[key] == tuple(_MAKERS[key](e, i) for i, e in enumerate(value))
        else:
            assert read[key] == value


@pytest.mark.parametrize(
    "text",
    [
        '{"items": [1, 2,]}',  # a syntax error
        '{"items": [1] "x": 2}',
        '{"items": [1]} trailing',
        '{"items": [1e400]}',  # implausible: infinity
        '{"items": ["\\ud800"]}',  # a lone surrogate
        '{"\\ud800": 1}',
        '{"x": NaN}',
        "[1, 2]",  # no object
        "{}",
        '{"items": [' + "[" * 100_000 + "]" * 100_000 + "]}",  # nested too deeply
    ],
)
def test_anything_unusual_is_left_to_the_whole_reading(text: str) -> None:
    assert streamed_object(text, _MAKERS) is None


def test_a_key_given_twice_takes_its_last_value_as_json_does() -> None:
    text = '{"items": [1, 2], "x": 1, "items": 5, "x": [3]}'
    read, made = streamed_object(text, _MAKERS) or ({}, {})
    assert (read, made) == ({"items": 5, "x": [3]}, {})
    assert read == json.loads(text)


def test_findings_json_as_written_is_read_an_element_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def whole(*_: object) -> None:
        raise AssertionError("findings.json was read whole")

    result = sample_result()
    monkeypatch.setattr(findings, "parse_json_text", whole)
    assert loads(dumps(result)) == result


def test_a_defect_is_named_as_the_whole_reading_names_it() -> None:
    document = json.loads(dumps(sample_result()))
    document["findings"][1]["status"] = "MAYBE"
    with pytest.raises(FindingsFileError, match=r"findings\[1\]"):
        loads(json.dumps(document))
