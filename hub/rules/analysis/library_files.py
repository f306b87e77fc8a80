"""The process-parameter library as files: YAML (the format of hub/data/library.yaml) and XLSX (one sheet per
table, cards' specs on their own sheet), read and written beside the Library type."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import yaml

from hub.plain_yaml import load_plain_yaml
from hub.rules.analysis.library import Library, LibraryError


def library_to_yaml(library: Library) -> str:
    """Return the library as YAML text (the format of hub/data/library.yaml)."""
    return yaml.safe_dump(library.to_dict(), allow_unicode=True, sort_keys=False, width=120)


def library_from_yaml(text: str) -> Library:
    """Parse YAML text into a library; raise LibraryError on bad YAML or bad entries."""
    try:
        data = load_plain_yaml(text)  # no aliases: a few hundred bytes must not expand to megabytes
    except yaml.YAMLError as exc:
        raise LibraryError(f"invalid YAML: {exc}") from None
    return Library.from_dict(data)


_SHEETS: dict[str, tuple[str, ...]] = {
    "meta": ("key", "value"),
    "zones": ("id", "name"),
    "materials": ("grade", "name", "category"),
    "cards": ("id", "process", "title", "material", "zone", "steps", "notes"),
    "specs": ("card_id", "kind", "scale", "unit", "low", "high", "label"),
    "stock": ("id", "material", "form", "qty", "unit", "max_hardness_scale", "max_hardness", "location"),
}


def library_to_xlsx(library: Library) -> bytes:
    """Return the library as an XLSX workbook, one sheet per table, cards' specs on their own sheet."""
    from openpyxl import Workbook

    data = library.to_dict()
    rows: dict[str, list[dict[str, Any]]] = {
        "meta": [{"key": "site", "value": library.site}],
        "zones": [{"id": k, "name": v} for k, v in library.zones.items()],
        "materials": data["materials"],
        "cards": [{**c, "steps": "\n".join(c["steps"])} for c in data["cards"]],
        "specs": [{"card_id": c["id"], **s} for c in data["cards"] for s in c["specs"]],
        "stock": data["stock"],
    }
    book = Workbook()
    book.remove(book.active)
    for name, columns in _SHEETS.items():
        sheet = book.create_sheet(name)
        sheet.append(list(columns))
        for row in rows[name]:
            sheet.append([row.get(c) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_rows(book: Any, name: str) -> list[dict[str, Any]]:
    if name not in book.sheetnames:
        raise LibraryError(f"sheet {name!r} missing")
    values = list(book[name].iter_rows(values_only=True))
    if not values:
        return []
    header = [str(h) if h is not None else "" for h in values[0]]
    return [
        {h: v for h, v in zip(header, row, strict=False) if h and v is not None}
        for row in values[1:]
        if any(v is not None for v in row)
    ]


def library_from_xlsx(blob: bytes) -> Library:
    """Parse a workbook written by `library_to_xlsx` (or edited by hand in the same layout)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(blob), read_only=True, data_only=True)
    except Exception as exc:
        raise LibraryError(f"not an XLSX workbook: {exc}") from None
    specs: dict[str, list[dict[str, Any]]] = {}
    for spec in _sheet_rows(book, "specs"):
        specs.setdefault(str(spec.pop("card_id", "")), []).append(spec)
    cards = [
        {**c, "steps": [s for s in str(c.get("steps", "")).split("\n") if s], "specs": specs.get(str(c.get("id")), [])}
        for c in _sheet_rows(book, "cards")
    ]
    meta = {str(r.get("key")): r.get("value") for r in _sheet_rows(book, "meta")}
    return Library.from_dict(
        {
            "site": meta.get("site") or "",
            "zones": {str(r["id"]): str(r.get("name", "")) for r in _sheet_rows(book, "zones") if "id" in r},
            "materials": _sheet_rows(book, "materials"),
            "cards": cards,
            "stock": _sheet_rows(book, "stock"),
        }
    )


def read_library_file(path: Path) -> Library:
    """Read a library from .yaml/.yml or .xlsx; raise LibraryError naming the file on any problem."""
    try:
        if path.suffix.lower() == ".xlsx":
            return library_from_xlsx(path.read_bytes())
        return library_from_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LibraryError(f"{path}: {exc.strerror or exc}") from None
    except LibraryError as exc:
        raise LibraryError(f"{path}: {exc}") from None


def write_library_file(library: Library, path: Path) -> None:
    """Write the library as .yaml/.yml or .xlsx, chosen by the file suffix."""
    if path.suffix.lower() == ".xlsx":
        path.write_bytes(library_to_xlsx(library))
    else:
        path.write_text(library_to_yaml(library), encoding="utf-8")
