"""Every decode outcome is pinned: which envelope a payload yields, or the exact error that rejects it.

The cases mutate each field of the golden messages (one field, and pairs of fields to pin which error comes
first) and a few topics; decode_outcomes.json holds what decode said. Set TOURTRACE_UPDATE_GOLDEN=1 to rewrite it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path
from typing import Any

from protocol import ContractError, decode

HERE = Path(__file__).resolve().parent
GOLDEN = HERE.parent / "golden"
PINNED = HERE / "decode_outcomes.json"
KINDS = ("tap", "note", "status", "config")
DELETE = "<delete>"
VALUES: tuple[Any, ...] = (
    DELETE, None, True, 0, -1, 2, 1.5, "", "x", "Demo", "a" * 33, "0102a3", "ABC", "2026-11-23T09:15:02Z",
    "2026-11-23T09:15:02.1234567891+08:00", "2026-11-23T09:15:02", "81JDF8M6Q3X4T2V9YB7K1N0C5R", "rep", "button",
    "offline", "enter_only", "note", [], [1], {}, {"badge_id": "B", "role": "rep"},
    {"w": "x", "start": 1, "end": 0.5, "conf": 1},
)  # fmt: skip
TOPICS = (
    "tourtrace/v1/demo/gate-injection/{kind}", "tourtrace/v1/demo/gate-machining/{kind}",
    "tourtrace/v1/Demo/gate/{kind}", "tourtrace/v1/demo/gate-injection/ack", "tourtrace/v1/demo/gate-injection/beep",
    "tourtrace/v2/demo/g/{kind}", "tourtrace/v1/demo/gate-injection/{kind}/x", "tourtrace/v1//gate-injection/{kind}",
    "",
)  # fmt: skip
PAYLOADS: tuple[bytes, ...] = (b"{not json", b"\xff\xfe", b"[1, 2]", b"null", b"{}", b'{"v": 1}', b" " * 65537)


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for key, value in items:
        yield (*prefix, key)
        yield from _paths(value, (*prefix, key))


def _set(obj: Any, path: tuple[Any, ...], value: Any) -> Any:
    obj = copy.deepcopy(obj)
    target = obj
    for key in path[:-1]:
        target = target[key]
    if value == DELETE and isinstance(target, dict):
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return obj


def cases() -> Iterator[tuple[str, str, bytes]]:
    """Yield (key, topic, payload) for every pinned case."""
    for kind in KINDS:
        golden = json.loads((GOLDEN / f"{kind}.json").read_text(encoding="utf-8"))
        topic = f"tourtrace/v1/demo/gate-injection/{kind}"
        paths = list(_paths(golden))
        for path in paths:
            for value in VALUES:
                payload = json.dumps(_set(golden, path, value), ensure_ascii=False).encode()
                yield f"{kind}|{'.'.join(map(str, path))}|{json.dumps(value)}", topic, payload
        for first, second in combinations(paths, 2):
            if second[: len(first)] == first:
                continue
            payload = json.dumps(_set(_set(golden, first, None), second, []), ensure_ascii=False).encode()
            yield f"{kind}|{'.'.join(map(str, first))}=null,{'.'.join(map(str, second))}=[]", topic, payload
        for template in TOPICS:
            yield f"{kind}|topic {template}", template.format(kind=kind), json.dumps(golden).encode()
            yield f"{kind}|topic {template} bad", template.format(kind=kind), b"{not json"
    for index, payload in enumerate(PAYLOADS):
        yield f"payload {index}", "tourtrace/v1/demo/gate-injection/tap", payload
    tap = (GOLDEN / "tap.json").read_bytes().strip()
    for name, payload in (("lead", b" \n\t" + tap), ("trail", tap + b"\r\n "), ("extra", tap + b"{}"),
                          ("extra ws", tap + b" 1"), ("nan", tap[:-1] + b',"x":NaN}'),
                          ("dup key", tap[:-1] + b',"v":2}'), ("empty", b""), ("ws only", b"  "),
                          ("bom", "\ufeff".encode() + tap)):  # fmt: skip
        yield f"payload {name}", "tourtrace/v1/demo/gate-injection/tap", payload


def outcome(topic: str, payload: bytes) -> str:
    """Return a digest of the decoded envelope's repr (every field with its type), or the error message."""
    try:
        return f"ok {hashlib.sha256(repr(decode(topic, payload)).encode()).hexdigest()[:16]}"
    except ContractError as exc:
        return f"error {exc}"


def test_decode_outcomes_match_the_pinned_ones() -> None:
    found = {key: outcome(topic, payload) for key, topic, payload in cases()}
    if os.environ.get("TOURTRACE_UPDATE_GOLDEN"):
        PINNED.write_text(json.dumps(found, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    pinned = json.loads(PINNED.read_text(encoding="utf-8"))
    assert found.keys() == pinned.keys()
    assert [k for k in found if found[k] != pinned[k]] == []
