"""A topology as a folder of CSV files, for spreadsheet users.

Layout (UTF-8, comma-separated, one header row; "row N" in messages is the
spreadsheet row, the header being row 1; an empty cell means "not given"):

- `nodes.csv` (required): one row per node. Columns `id`, `kind`, then any node
  field of any kind (`name`, `country`, `makes`, `capacity`, `yield`, ...);
  a cell is left empty where the field does not apply to the row's kind.
- `edges.csv` (required): one row per flow: `from`, `to`, `product`, `share`,
  `transport`, `source`.
- `products.csv` (optional): `id`, `kind`, then the product fields (`name`,
  `h100e`, `power_kw`, `available`, `bom`, ...).
- `meta.csv` (optional): two columns `key`, `value`; keys `name`,
  `description`, `start` and `sources`.

Text, number and date fields are written as they are. Structured fields
(schedules, distributions, lists, mappings, BOMs) are JSON in the cell: a
constant schedule or a fixed transport time is just a number (`2000`), a
dated schedule is `{"points": {"2024-12-31": 35000}, "growth": 0.6}`, a BOM
is `{"logic": "b200_die", "dies_per_wafer": 29, ...}`. A list of names may
also be written `a; b; c`.

Rows are checked one by one as they are read; what needs the whole network
(an edge to an unknown node, a duplicate id, a cycle) is checked on the
assembled topology, whose error paths (`edges.0.from`, `nodes.fab.id`) `locate`
turns back into the file and row they came from (`edges.csv: row 2.from`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import InputError, from_validation_error
from .fields import NODE_CLASSES, NODE_FIELDS, FieldMeta, fields_of, lean, node_class, read_text, writing
from .outputs import atomic_path
from .schema import Edge, Product, TopologyMeta, TopologyModel, check_id

__all__ = ["read_folder", "write_folder", "locate", "TABLES"]

META_KEYS = ("name", "description", "start", "sources")
PRODUCT_FIELDS = {"id": FieldMeta(False, False, None, None), **fields_of(Product)}
EDGE_FIELDS = fields_of(Edge)
META_FIELDS = {k: v for k, v in fields_of(TopologyModel).items() if k in META_KEYS}

#: file name -> (required?, known columns, columns every row must fill)
TABLES: dict[str, tuple[bool, dict[str, FieldMeta], tuple[str, ...]]] = {
    "nodes.csv": (True, NODE_FIELDS, ("id", "kind")),
    "edges.csv": (True, EDGE_FIELDS, ("from", "to", "product")),
    "products.csv": (False, PRODUCT_FIELDS, ("id", "kind")),
    "meta.csv": (False, {"key": FieldMeta(False, False, None, None), "value": FieldMeta(False, False, None, None)}, ("key",)),
}

Row = tuple[int, dict[str, str]]


# --- reading ----------------------------------------------------------------


def _rows(path: Path, known: dict[str, FieldMeta], required: tuple[str, ...]) -> list[Row]:
    """Non-empty rows as (spreadsheet row, {column: cell}) with empty cells dropped."""
    text = read_text(path)
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InputError(path, "<file>", f"invalid CSV: {exc}") from None
    if not records or not any(c.strip() for c in records[0]):
        raise InputError(path, "<file>", f"empty file; expected a header row ({', '.join(required)}, ...)")
    header = [c.strip() for c in records[0]]
    for sep in (";", "\t"):  # a spreadsheet saved in a locale whose list separator is not a comma
        if len(header) == 1 and sep in header[0]:
            raise InputError(path, "header", f"columns separated by {sep!r}; a CSV topology is comma-separated (got {header[0][:60]!r})")
    for col in header:
        if col and col not in known:
            raise InputError(path, f"header.{col}", f"unknown column; expected some of {', '.join(known)}")
        if col and header.count(col) > 1:
            raise InputError(path, f"header.{col}", "column appears twice")
    for col in required:
        if col not in header:
            raise InputError(path, "header", f"missing column {col!r}")
    rows: list[Row] = []
    for n, cells in enumerate(records[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            raise InputError(path, f"row {n}", f"{len(cells)} cells but {len(header)} columns")
        for i, (col, cell) in enumerate(zip(header, cells)):
            if not col and cell.strip():  # its column has no name: the value would be dropped unread
                raise InputError(path, f"row {n}", f"a value in column {i + 1}, which has no header (got {cell[:40]!r})")
        row = {col: cell for col, cell in zip(header, cells) if col and cell.strip() != ""}
        for col in required:
            if col not in row:
                raise InputError(path, f"row {n}.{col}", "missing value")
        rows.append((n, row))
    return rows


def _cell(text: str, meta: FieldMeta | None, file: Path, field: str) -> Any:
    if meta is None or not meta.structured:
        return text
    if meta.str_list and not text.lstrip().startswith("["):
        return [item.strip() for item in text.split(";") if item.strip()]
    from .formats import json_cell

    return json_cell(text, file, field)


def _record(row: Row, known: dict[str, FieldMeta], cls: type[BaseModel] | None, file: Path, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Decode a row's cells and check them against `cls`, so errors name the row."""
    n, cells = row
    rec = {col: _cell(text, known.get(col), file, f"row {n}.{col}") for col, text in cells.items()}
    if cls is not None:
        try:
            cls.model_validate(checked := {k: v for k, v in rec.items() if k not in skip})
        except ValidationError as err:
            raise from_validation_error(file, err, prefix=f"row {n}", model=cls, data=checked) from None
    return rec


def read_folder(path: Path) -> dict[str, Any]:
    """Read a CSV topology folder into the YAML shape."""
    if not path.is_dir():
        raise InputError(path, "<file>", "expected a folder holding nodes.csv and edges.csv")
    stems = {name[:-4].rstrip("s"): name for name in TABLES}
    for extra in sorted(f.name for f in path.iterdir() if f.suffix.lower() == ".csv" and f.name not in TABLES):
        near = stems.get(extra[:-4].lower().rstrip("s"))
        # `Meta.csv`, `product.csv`: skipped, its start date or products lost (on a case-blind disk Meta.csv is read)
        if near and not ((path / near).exists() and (path / near).samefile(path / extra)):
            raise InputError(path / extra, "<file>", f"not a table of a CSV topology; did you mean {near}?")
    tables: dict[str, list[Row]] = {}
    for name, (required, known, needed) in TABLES.items():
        file = path / name
        if not file.exists():
            if required:
                raise InputError(file, "<file>", "no such file; a CSV topology folder needs nodes.csv and edges.csv")
            tables[name] = []
            continue
        tables[name] = _rows(file, known, needed)
    data: dict[str, Any] = _read_meta(path / "meta.csv", tables["meta.csv"])
    products: dict[str, Any] = {}
    for row in tables["products.csv"]:
        rec = _record(row, PRODUCT_FIELDS, Product, path / "products.csv", skip=("id",))
        pid = rec.pop("id")
        try:  # a key of the assembled `products`: refused there, the error named the folder, not this row
            check_id(pid)
        except ValueError as exc:
            raise InputError(path / "products.csv", f"row {row[0]}.id", str(exc)) from None
        if pid in products:
            raise InputError(path / "products.csv", f"row {row[0]}.id", f"duplicate product id (got {pid!r})")
        products[pid] = rec
    data["products"] = products
    data["nodes"] = []
    for row in tables["nodes.csv"]:
        kind = row[1]["kind"]
        cls = node_class(kind)
        if cls is None:
            raise InputError(path / "nodes.csv", f"row {row[0]}.kind", f"unknown kind (got {kind!r}); expected one of {', '.join(NODE_CLASSES)}")
        data["nodes"].append(_record(row, NODE_FIELDS, cls, path / "nodes.csv"))
    data["edges"] = [_record(row, EDGE_FIELDS, Edge, path / "edges.csv") for row in tables["edges.csv"]]
    return data


def _table_rows(folder: Path, name: str) -> list[Row]:
    required, known, needed = TABLES[name]
    return _rows(folder / name, known, needed) if (folder / name).exists() else []


def locate(err: InputError, folder: Path) -> InputError:
    """An error of the assembled topology at the CSV file and spreadsheet row it came from.

    `edges.<i>` is the i-th non-empty row of edges.csv; `nodes.<id>` and
    `products.<id>` the row holding that id (a duplicate id: the row that repeats
    it); a top-level field the meta.csv row of that key. Anything else stays as it was.
    """
    section, _, rest = err.field.partition(".")
    ident, _, sub = rest.partition(".")
    if section == "edges" and ident.isdigit():
        rows = _table_rows(folder, "edges.csv")
        if int(ident) < len(rows):
            def row(m: re.Match[str]) -> str:  # "duplicate of edges.1" names a row too
                i = int(m.group(1))
                return f"row {rows[i][0]}" if i < len(rows) else m.group(0)
            return _at(folder / "edges.csv", rows[int(ident)][0], sub, re.sub(r"\bedges\.(\d+)\b", row, err.problem))
    elif section in ("nodes", "products") and ident:
        rows = _table_rows(folder, f"{section}.csv")
        found = [n for n, cells in rows if cells["id"] == ident]
        if not found and ident.isdigit() and int(ident) < len(rows):  # an id unfit for a path is named by position
            found = [rows[int(ident)][0]]
        if found:
            return _at(folder / f"{section}.csv", found[1] if len(found) > 1 else found[0], sub, err.problem)
    elif section in META_KEYS:
        found = [n for n, cells in _table_rows(folder, "meta.csv") if cells["key"].strip() == section]
        if found:
            return _at(folder / "meta.csv", found[0], "value", err.problem)
    return err


def _at(file: Path, row: int, field: str, problem: str) -> InputError:
    return InputError(file, f"row {row}.{field}" if field else f"row {row}", problem)


def _read_meta(file: Path, rows: list[Row]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for n, cells in rows:
        key = cells["key"].strip()
        if key not in META_KEYS:
            raise InputError(file, f"row {n}.key", f"unknown key (got {key!r}); expected one of {', '.join(META_KEYS)}")
        if key in meta:
            raise InputError(file, f"row {n}.key", f"key appears twice (got {key!r})")
        if "value" in cells:
            meta[key] = _cell(cells["value"], META_FIELDS[key], file, f"row {n}.value")
    try:
        TopologyMeta.model_validate(meta)
    except ValidationError as err:
        raise from_validation_error(file, err, model=TopologyMeta, data=meta) from None
    return meta


# --- writing ----------------------------------------------------------------


def _text(value: Any, meta: FieldMeta | None) -> str:
    if meta is None or not meta.structured:
        return "" if value is None else str(value)
    if meta.str_list and isinstance(value, list) and all(_plain_item(v) for v in value) and value:
        return "; ".join(value)
    return json.dumps(value, ensure_ascii=False)


def _plain_item(item: Any) -> bool:
    return isinstance(item, str) and item == item.strip() and item != "" and ";" not in item and not item.startswith("[")


def _table(records: list[dict[str, Any]], known: dict[str, FieldMeta], required: tuple[str, ...], first: tuple[str, ...] = ()) -> list[list[str]]:
    """Header (required columns, then the others any record uses, `first` leading) and one row per record."""
    used = {k for rec in records for k in rec}
    order = list(required) + [c for c in (*first, *known) if c not in required]
    header = [c for c in dict.fromkeys(order) if c in required or c in used]
    return [header] + [[_text(rec.get(col), known.get(col)) if col in rec else "" for col in header] for rec in records]


def write_folder(data: dict[str, Any], path: Path) -> None:
    """Write the four CSV files; each appears complete or not at all."""
    meta = [["key", "value"]] + [
        [k, _text(data[k], META_FIELDS[k])] for k in META_KEYS if data.get(k) not in (None, [], "")
    ]
    products = [{"id": pid, **lean(p, Product)} for pid, p in (data.get("products") or {}).items()]
    nodes = [lean(n, node_class(n.get("kind"))) for n in data.get("nodes") or []]
    edges = [lean(e, Edge) for e in data.get("edges") or []]
    tables = {
        "meta.csv": meta,
        "products.csv": _table(products, PRODUCT_FIELDS, ("id", "kind")),
        "nodes.csv": _table(nodes, NODE_FIELDS, ("id", "kind"), ("name", "country", "jurisdiction")),
        "edges.csv": _table(edges, EDGE_FIELDS, ("from", "to", "product")),
    }
    if path.is_dir() and not (path / "nodes.csv").exists() and any(not f.name.startswith(".") for f in path.iterdir()):
        # `convert topo.yaml .` or `-o outputs/baseline`: four tables strewn among the files of another folder
        raise InputError(path, "<file>", "a folder of other files, not a CSV topology (no nodes.csv); write it to a "
                                         "new or empty folder, or over an older CSV topology")
    if path.is_dir() and ((path / "manifest.json").exists() or (path / "replications").is_dir()):
        # a run written with `--format csv` has a nodes.csv too: its weekly node table, which this would replace
        raise InputError(path, "<file>", "a run folder (manifest.json or replications/), not a CSV topology: its "
                                         "nodes.csv is the run's table; write the topology to a new or empty folder")
    for name in tables:  # the files replace their old versions one by one at the end: check all before any
        if (path / name).is_dir():  # os.replace fails on a folder, after the tables before it were replaced
            raise InputError(path / name, "<file>", "is a folder; the CSV topology writes a file there")
    with writing(path), ExitStack() as stack:
        for name, rows in tables.items():
            tmp = stack.enter_context(atomic_path(path / name))
            with tmp.open("w", newline="", encoding="utf-8") as fh:
                csv.writer(fh, lineterminator="\n").writerows(rows)
