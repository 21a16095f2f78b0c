"""What the flat formats (GraphML, CSV) need to know about the schema's fields.

Flat formats hold scalars only, so a field whose type is a model, a list or a
mapping is written as JSON text. Which fields those are is read off the
pydantic models, never listed by hand, so a field added to the schema flows
through every format. Writers also drop values equal to the field's default
and write a constant schedule as a bare number, so a spreadsheet shows `2000`
rather than `{"value": 2000.0, "growth": 0.0}`; both read back to the same model.
"""

from __future__ import annotations

import types
import typing
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Iterator, Union

from pydantic import BaseModel

from .errors import InputError, short
from .schema import Distribution, Node, Schedule

__all__ = ["FieldMeta", "fields_of", "NODE_CLASSES", "NODE_FIELDS", "node_class", "lean", "read_text", "writing", "short"]

_MISSING = object()


@dataclass(frozen=True)
class FieldMeta:
    """How one field is written in a flat format."""

    structured: bool  # JSON text in a cell
    str_list: bool  # list[str]: a CSV cell may also be `a; b; c`
    compact: str | None  # "schedule" or "distribution": written as a bare number when constant
    default: Any  # the dumped default, or _MISSING for required fields
    model: type[BaseModel] | None = None  # a nested record (BOM, expansion, ...), leaned in turn


def _arms(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        return [a for a in typing.get_args(annotation) if a is not type(None)]
    return [annotation]


def _meta(annotation: Any, default: Any) -> FieldMeta:
    arms = _arms(annotation)
    origins = [typing.get_origin(a) for a in arms]
    models = [a for a in arms if isinstance(a, type) and issubclass(a, BaseModel)]
    structured = bool(models) or any(o in (list, dict) for o in origins)
    str_list = arms == [list[str]]
    compact = "schedule" if Schedule in models else "distribution" if Distribution in models else None
    nested = models[0] if len(models) == 1 and compact is None else None
    return FieldMeta(structured, str_list, compact, default, nested)


@cache
def fields_of(cls: type[BaseModel]) -> dict[str, FieldMeta]:
    """Field name as written in files (the alias) -> how flat formats write it."""
    out: dict[str, FieldMeta] = {}
    for name, info in cls.model_fields.items():
        if info.is_required():
            default = _MISSING
        else:
            value = info.get_default(call_default_factory=True)
            default = value.model_dump(mode="json", exclude_none=True, by_alias=True) if isinstance(value, BaseModel) else value
        out[info.alias or name] = _meta(info.annotation, default)
    return out


NODE_CLASSES: dict[str, type[BaseModel]] = {
    typing.get_args(cls.model_fields["kind"].annotation)[0]: cls for cls in typing.get_args(typing.get_args(Node)[0])
}


def _node_fields() -> dict[str, FieldMeta]:
    out: dict[str, FieldMeta] = {}
    for cls in NODE_CLASSES.values():
        for name, meta in fields_of(cls).items():
            if name in out and out[name].structured != meta.structured:
                raise TypeError(f"node field {name!r} is structured in one kind and scalar in another")
            out.setdefault(name, meta)
    return out


#: Every node field of any kind, in schema order (id, name, country, ... first).
NODE_FIELDS: dict[str, FieldMeta] = _node_fields()


def node_class(kind: Any) -> type[BaseModel] | None:
    return NODE_CLASSES.get(kind) if isinstance(kind, str) else None


def _compact(value: Any, how: str | None) -> Any:
    if not isinstance(value, dict):
        return value
    if how == "schedule":
        value = {k: v for k, v in value.items() if not (k == "growth" and v == 0)}
        return value["value"] if value.keys() == {"value"} else value
    if how == "distribution" and value.get("dist") == "fixed" and value.keys() <= {"dist", "mean"}:
        return value.get("mean", value)
    return value


def lean(record: dict[str, Any], cls: type[BaseModel] | None) -> dict[str, Any]:
    """`record` without values equal to their defaults, constant schedules as numbers."""
    if cls is None:
        return dict(record)
    meta = fields_of(cls)
    out: dict[str, Any] = {}
    for key, value in record.items():
        m = meta.get(key)
        if m is None:
            out[key] = value
        elif m.default is _MISSING or value != m.default:
            out[key] = lean(value, m.model) if m.model and isinstance(value, dict) else _compact(value, m.compact)
    return out


#: files that are not text, by their first bytes: said as what they are, not as a byte UTF-8 cannot decode
NOT_TEXT = {b"PAR1": "a Parquet file", b"PK\x03\x04": "a zip archive (an Excel workbook?)", b"\x89PNG": "a PNG image",
            b"%PDF": "a PDF document", b"\x1f\x8b": "a gzip-compressed file", b"\xff\xfe": "UTF-16 text",
            b"\xfe\xff": "UTF-16 text"}


def read_text(path: Path) -> str:
    """A file's UTF-8 text (a BOM is dropped); every I/O problem becomes an `InputError`."""
    try:
        data = path.read_bytes()
        return data.decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError(path, "<file>", "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "<file>", "is a folder, expected a file") from None
    except UnicodeDecodeError as exc:
        what = next((what for magic, what in NOT_TEXT.items() if data.startswith(magic)), None)
        if what is not None:  # "not UTF-8 text (invalid start byte at byte 152)" of a Parquet table or a workbook
            save = "; save it as UTF-8" if what == "UTF-16 text" else ""
            raise InputError(path, "<file>", f"not UTF-8 text but {what}{save}") from None
        raise InputError(path, "<file>", f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise InputError(path, "<file>", f"cannot read ({exc.strerror or exc})") from None


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Turn an I/O failure while writing `path` into an `InputError` (bad output path)."""
    try:
        yield
    except OSError as exc:
        raise InputError(path, "<file>", f"cannot write ({exc.strerror or exc})") from None
