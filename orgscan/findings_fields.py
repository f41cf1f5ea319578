"""The field rules every part of ``findings.json`` is read by (``findings_reader``): a value of
the right type, a number in its range, a region or account id that is one, a member of an
enum, an array of objects; ``SchemaError`` naming where the document breaks them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from orgscan.identifiers import ACCOUNT_ID_RE, REGION_RE
from orgscan.jsondoc import typed_value

#: Versions the reader accepts: older files read with the later fields absent (null, empty).
READABLE_SCHEMA_VERSIONS = (1, 2, 3)
#: The longest text a findings.json field may hold: Excel's limit for one cell. AWS names are
#: far shorter (a trail name 128 characters, a bucket name 63).
MAX_TEXT = 32_767
#: More regions than any partition has, with room to grow.
MAX_REGIONS = 1000


class SchemaError(Exception):
    """What in the document breaks the schema, and where."""


_T = TypeVar("_T")


def get_field(
    obj: Mapping[str, Any],
    key: str,
    kind: type[_T] | tuple[type, ...],
    where: str,
    *,
    optional: bool = False,
) -> Any:
    if key not in obj:
        raise SchemaError(f"{where}: missing key {key!r}")
    try:
        value = typed_value(obj, key, kind, optional=optional)
    except TypeError as exc:
        raise SchemaError(f"{where}: {exc}") from None
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise SchemaError(
            f"{where}: {key!r} holds {len(value):,} characters, more than the "
            f"{MAX_TEXT:,} a finding's text may have"
        )
    return value


def int_between(
    raw: Mapping[str, Any], key: str, where: str, low: int, high: int, *, optional: bool = False
) -> Any:
    # Reports and plans compute with these numbers: 10**30 days overflows pandas and Excel.
    value = get_field(raw, key, int, where, optional=optional)
    if value is not None and not low <= value <= high:
        raise SchemaError(f"{where}: {key!r} must be between {low} and {high}, not {value}")
    return value


def region_field(raw: Mapping[str, Any], key: str, where: str, *, optional: bool = False) -> Any:
    # Regions name AWS endpoints that remediate --apply calls: only real region names.
    value = get_field(raw, key, str, where, optional=optional)
    if value is not None and not REGION_RE.match(value):
        raise SchemaError(f"{where}: {key!r} is not an AWS region name: {value!r:.40}")
    return value


def enum_field(value: Any, enum: type[_T], key: str, where: str, *, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    try:
        return enum(value)  # type: ignore[call-arg]
    except ValueError:
        raise SchemaError(f"{where}: {key!r} has unknown value {value!r:.60}") from None


def account_id_field(value: Any, key: str, where: str, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not ACCOUNT_ID_RE.match(value):
        raise SchemaError(f"{where}: {key!r} must be a 12-digit account id, not {value!r:.60}")
    return value


def object_list(document: Mapping[str, Any], key: str) -> Sequence[Any]:
    value = get_field(document, key, list, "findings.json")
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise SchemaError(f"{key}[{index}] must be an object")
    return value  # type: ignore[no-any-return]
