"""Library storage in a real SQLite file, YAML/XLSX round trips, lookups and idempotent recompute."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from hub.rules.analysis import analyze, default_library
from hub.rules.analysis.library import Library, LibraryError
from hub.rules.analysis.library_files import (
    library_from_xlsx,
    library_from_yaml,
    library_to_xlsx,
    library_to_yaml,
    read_library_file,
    write_library_file,
)
from hub.rules.stored_library import load_library, save_library
from hub.store.db import open_database
from hub.store.library import get_note_analysis, load_library_data, recompute_note_analyses


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    return open_database(tmp_path / "hub.db")


def test_seed_library_round_trips_through_sqlite(conn) -> None:
    seed = default_library()
    assert load_library(conn) is None
    save_library(conn, seed)
    assert load_library(conn) == seed
    assert load_library_data(conn) == json.loads(json.dumps(seed.to_dict()))  # the store keeps plain data
    assert conn.execute("SELECT value FROM library_meta WHERE key = 'revision'").fetchone()[0] == seed.revision()
    save_library(conn, seed)
    assert conn.execute("SELECT count(*) FROM library_cards").fetchone()[0] == len(seed.cards)


def test_yaml_and_xlsx_round_trip(tmp_path: Path) -> None:
    seed = default_library()
    assert library_from_yaml(library_to_yaml(seed)) == seed
    assert library_from_xlsx(library_to_xlsx(seed)) == seed
    for name in ("lib.yaml", "lib.xlsx"):
        write_library_file(seed, tmp_path / name)
        assert read_library_file(tmp_path / name) == seed


def test_bad_library_files_name_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("cards:\n  - {id: X, process: 热处理}\n", encoding="utf-8")
    with pytest.raises(LibraryError, match=r"bad.yaml: cards\[0\].title: required"):
        read_library_file(bad)
    bad.write_text("cards: [\n", encoding="utf-8")
    with pytest.raises(LibraryError, match="invalid YAML"):
        read_library_file(bad)
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a workbook")
    with pytest.raises(LibraryError, match="not an XLSX"):
        read_library_file(junk)
    with pytest.raises(LibraryError, match=r"missing\.yaml"):
        read_library_file(tmp_path / "missing.yaml")


def test_better_stock_removes_the_warning(context) -> None:
    data = default_library().to_dict()
    extra = {"id": "ST-009", "material": "40Cr", "qty": 5, "max_hardness_scale": "HRC", "max_hardness": 48}
    data["stock"].append(extra)
    richer = Library.from_dict(data)
    result = analyze("热处理 到 h r c 四十五", context.lexicon, richer).to_dict()
    assert result["warnings"] == []
    assert result["lookups"][0]["card_id"] == "HT-001"


def test_material_specific_stock_and_capability_warnings(context) -> None:
    text = "四十五 号 钢 淬火 到 h r c 四十 粗糙度 零点 一 公差 正负 零点 零 零 二 用 s u s 三 一 六"
    texts = [w["text"] for w in analyze(text, context.lexicon, context.library).to_dict()["warnings"]]
    assert "客户提及HRC40，但当前库存45#最高适配HRC38，建议准备替代方案" in texts
    assert "客户提及Ra0.1，但工艺库最高只能做到Ra0.2，建议外协或准备替代方案" in texts
    assert "客户提及±0.002mm，但工艺库最高只能做到±0.005mm，建议外协或准备替代方案" in texts
    assert "客户提及SUS316，但当前库存没有该材质，建议确认采购周期" in texts


def _insert_note(conn: sqlite3.Connection, event_id: str, text: str) -> None:
    body = json.dumps({"v": 1, "id": event_id, "kind": "note", "data": {"text": text}}, ensure_ascii=False)
    conn.execute(
        "INSERT INTO events(id, kind, site, station, seq, ts, received_at, body) VALUES (?,?,?,?,?,?,?,?)",
        (event_id, "note", "demo", "gate-heat-treat", 1, "2024-05-01T10:00:00+08:00", "2024-05-01T02:00:00Z", body),
    )


def test_recompute_is_idempotent_and_follows_library_changes(conn, context) -> None:
    _insert_note(conn, "01NOTE", "这个 阀 体 得 热 处理 到 h r c 四十五 才 行")
    _insert_note(conn, "02NOTE", "先 打 样")
    seed = default_library()

    def run(library: Library):
        analyze_text = lambda t: analyze(t, context.lexicon, library).to_dict()  # noqa: E731
        return recompute_note_analyses(conn, analyze_text, library.revision())

    assert run(seed).to_dict() == {"notes": 2, "changed": 2, "unchanged": 0}
    assert run(seed).to_dict() == {"notes": 2, "changed": 0, "unchanged": 2}
    stored = get_note_analysis(conn, "01NOTE")
    assert stored is not None and stored["warnings"][0]["text"].startswith("客户提及HRC45")
    data = seed.to_dict()
    data["stock"][0]["max_hardness"] = 50
    assert run(Library.from_dict(data)).to_dict() == {"notes": 2, "changed": 1, "unchanged": 1}
    updated = get_note_analysis(conn, "01NOTE")
    assert updated is not None and updated["warnings"] == []
    assert conn.execute("SELECT count(*) FROM note_analyses").fetchone()[0] == 2


def test_hardness_on_other_scales_is_converted_for_cards_and_stock(context) -> None:
    ok = analyze("四十二 铬 钼 调质 两百 八十 h b", context.lexicon, context.library).to_dict()
    assert ok["warnings"] == []
    assert {x["card_id"] for x in ok["lookups"] if x["param"] == 1} == {"HT-001"}  # HT-002 is a 45# card
    hard = analyze("调质 h b 四百 五十", context.lexicon, context.library).to_dict()
    assert [w["text"] for w in hard["warnings"]] == ["客户提及HB450，但当前库存材质最高适配HB391，建议准备替代方案"]


def test_lookups_respect_scale_material_and_hardenability(context) -> None:
    brinell = analyze("布氏 硬度 六百", context.lexicon, context.library).to_dict()
    assert [(x["card_id"], x["match"]) for x in brinell["lookups"]] == [("HT-002", "nearest")]  # never an HRC card

    stainless = analyze("s u s 三 一 六 的 轴 要 淬 到 h r c 五十", context.lexicon, context.library).to_dict()
    assert [p["value"] for p in stainless["params"]] == ["SUS316", 50]
    assert stainless["lookups"] == []  # no 42CrMo card shown as in range for a 316 part
    assert [w["text"] for w in stainless["warnings"]] == [
        "客户提及SUS316，但当前库存没有该材质，建议确认采购周期",
        "客户提及SUS316做到HRC50，但SUS316不能通过淬火硬化，建议改用可淬硬材质或工艺评审",
    ]

    withdrawn = analyze("h r c 五十 不用 了 四十 就 行", context.lexicon, context.library).to_dict()
    assert [x["param"] for x in withdrawn["lookups"]] == [1] and withdrawn["warnings"] == []
