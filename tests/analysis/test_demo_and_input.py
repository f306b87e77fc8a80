"""The demo scenario end to end, and bad input that must never raise."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.rules.analysis import analyze

DEMO_WARNING = "客户提及HRC45，但当前库存材质最高适配HRC42，建议准备替代方案"


def test_demo_note_warns_and_links_heat_treatment_card(context) -> None:
    for text in ("这个阀体得热处理到HRC45才行", "这个 阀 体 得 热 处理 到 h r c 四十五 才 行"):
        result = analyze(text, context.lexicon, context.library).to_dict()
        assert set(result) == {"normalized", "params", "signals", "lookups", "warnings"}
        assert [w["text"] for w in result["warnings"]] == [DEMO_WARNING]
        assert result["lookups"] == [
            {
                "param": 0,
                "card_id": "HT-001",
                "title": "热处理：淬火+回火（42CrMo/40Cr 阀体）",
                "process": "热处理",
                "match": "in_range",
            }
        ]


def test_hardness_within_stock_has_no_warning(context) -> None:
    result = analyze("调质 到 h r c 三十 五", context.lexicon, context.library).to_dict()
    assert result["params"][0]["value"] == 35
    assert result["warnings"] == []
    assert [x["card_id"] for x in result["lookups"]] == ["HT-001"]


def test_without_library_there_are_no_lookups(context) -> None:
    result = analyze("热处理 到 h r c 四十五", context.lexicon).to_dict()
    assert result["params"] and result["lookups"] == [] and result["warnings"] == []


def test_empty_and_symbol_only_input_explain_themselves(context) -> None:
    assert analyze("", context.lexicon).to_dict()["warnings"] == [{"kind": "input", "text": "文本为空"}]
    emoji = analyze("😀🔥👍", context.lexicon).to_dict()
    assert emoji["normalized"] == "" and emoji["warnings"][0]["kind"] == "input"
    wrong_type = analyze(None, context.lexicon).to_dict()
    assert wrong_type["normalized"] == "" and "字符串" in wrong_type["warnings"][0]["text"]


def test_very_long_input_is_truncated_with_a_warning(context) -> None:
    text = "热处理 到 h r c 四十五 " * 2000
    result = analyze(text, context.lexicon, context.library).to_dict()
    assert len(result["normalized"]) <= 2000
    assert any(w["kind"] == "input" and "过长" in w["text"] for w in result["warnings"])
    assert result["params"][0]["value"] == 45


def test_mixed_scripts_and_emoji_are_cleaned(context) -> None:
    result = analyze("阀体😀 ＨＲＣ４５ 报价🙏 ok", context.lexicon, context.library).to_dict()
    assert result["normalized"] == "阀体HRC45报价OK"
    assert [p["value"] for p in result["params"]] == [45]
    assert [s["name"] for s in result["signals"]] == ["quote"]


TRANSCRIPT_CHARS = list("零一二两三四五十百千万点个半小时度丝hrcHRCmpa到至~-#号钢 热处理硬报价😀\x00é")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(TRANSCRIPT_CHARS)))
def test_random_transcripts_never_raise_and_spans_hold(text: str) -> None:
    from hub.rules.analysis import load_default_context

    ctx = load_default_context()
    result = analyze(text, ctx.lexicon, ctx.library).to_dict()
    for item in result["params"] + result["signals"]:
        start, end = item["span"]
        assert result["normalized"][start:end] == item["text"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_unicode_never_raises(text: str) -> None:
    from hub.rules.analysis import load_default_context

    ctx = load_default_context()
    assert isinstance(analyze(text, ctx.lexicon, ctx.library).to_dict()["normalized"], str)
