"""Read what is said around params and signals: what was declined or withdrawn, limits, a competitor's words."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import replace

from hub.rules.analysis.grammar import Grammar
from hub.rules.analysis.model import Param, Signal, Span
from hub.rules.analysis.params import NOT_A_UNIT, NUM

_JOINED = re.compile(r"[也都还]*(?:[和跟与及、，,]|还有|或者|以及)[也都还]*")
_DONE = "就行|就可以|就好|就够|吧|也行|也可以|即可|够了|左右|差不多|行不行|行吗|可以吗|可不可以|怎么样|$|[，。,；;]"
_VALUE = rf"(?<![\d.A-Za-z])(?P<num>{NUM})(?:(?:到|至|~|-)(?P<hi>{NUM}))?"
_REPLACEMENT = re.compile(rf"{_VALUE}(?P<deg>度)?(?:{_DONE})")
_ASKED = re.compile(r"\d+(?:\.\d+)?(?:(?:到|至|~|-)\d+(?:\.\d+)?)?度?(?:行不行|行吗|可以吗|可不可以|怎么样)")
_BARE = re.compile(rf"{_VALUE}(?P<deg>度)?(?!\d){NOT_A_UNIT}")


class Clauses:
    """Clause starts of a text; `around(pos)` is the clause holding pos."""

    def __init__(self, cuts: list[int], length: int) -> None:
        self.cuts = cuts
        self.length = length

    def around(self, pos: int) -> Span:
        i = bisect_right(self.cuts, pos) - 1
        return self.cuts[max(i, 0)], self.cuts[i + 1] if i + 1 < len(self.cuts) else self.length


def _chain(spans: list[Span], order: list[int], text: str) -> list[int]:
    """The first item and those joined to it by 和/跟/、 (so "报价和样品都不用了" declines both)."""
    taken = [order[0]]
    for i in order[1:]:
        a, b = sorted((spans[taken[-1]], spans[i]))
        if not _JOINED.fullmatch(text[a[1] : b[0]]):
            break
        taken.append(i)
    return taken


def _cues(text: str, grammar: Grammar) -> list[tuple[re.Match[str], str]]:
    """Negation cues at every position, the one reaching further kept where two overlap; none inside an exception
    ("不锈钢", "能不能") unless it reaches past it ("别急着报价" is a cue, "别急" alone is not)."""
    exceptions = [m.span() for m in grammar.exception_re.finditer(text)]
    exceptions += [m.span() for m in grammar.ab_question_re.finditer(text)]
    pattern, names = grammar.cue_re
    starts = grammar.cue_starts
    found = []
    for pos in range(len(text)):
        if starts is not None and text[pos] not in starts:
            continue
        match = pattern.match(text, pos)
        if match is not None and not any(s < match.end() and pos < e and e >= match.end() for s, e in exceptions):
            found.append(match)
    return [(m, names[(m.lastindex or 1) - 1]) for m in found if not any(_outranks(o, m) for o in found)]


def _outranks(other: re.Match[str], match: re.Match[str]) -> bool:
    """Of two overlapping cues the one reaching further wins ("先不用" is 不用, not 先不 + 用)."""
    if other is match or not (other.start() < match.end() and match.start() < other.end()):
        return False
    return (other.end(), other.end() - other.start()) > (match.end(), match.end() - match.start())


def negated_items(
    text: str, grammar: Grammar, spans: list[Span], values: int | None = None, skip: frozenset[int] = frozenset()
) -> set[int]:
    """Indices of the spans a negation cue declines or withdraws (spans in `skip` are never declined).

    The first `values` spans are params: cues such as "不够"/"太高了" withdraw a value but never a request.
    """
    loose = Clauses(grammar.boundaries(text), len(text))
    tight = Clauses(grammar.boundaries(text, particles=True), len(text))
    neg = grammar.negation
    order = sorted((i for i in range(len(spans)) if i not in skip), key=lambda i: spans[i])
    starts = {spans[i][0] for i in order}
    out: set[int] = set()
    for match, kind in _cues(text, grammar):
        (start, end), cue = match.span(), match.group(0)
        targets = [i for i in order if kind != "v" or values is None or i < values]
        before = kind in "bn" or grammar.before_re.fullmatch(cue) is not None
        after = kind in "av" or grammar.after_re.fullmatch(cue) is not None
        ahead_from = end + 1 if end < len(text) and text[end] in grammar.particles else end  # "取消了打样"
        clause_end = tight.around(min(ahead_from, len(text) - 1))[1]
        reach = neg.reach_ahead
        if kind == "n":  # a bare 不 reaches its verb's object only: "不打样", "不给报价", "不谈报价"
            verb = grammar.verb_re.match(text, end)
            reach = neg.bare_reach + (verb.end() - end if verb else 0)
        declined = grammar.object_re.search(text, ahead_from, clause_end)  # "不用热处理": the process, not what follows
        clause_end = declined.start() + 1 if declined and declined.start() <= ahead_from + 1 else clause_end
        ahead = [i for i in targets if ahead_from <= spans[i][0] < clause_end and spans[i][0] - end <= reach]
        rest = text[end : tight.around(end - 1)[1]]  # what follows the cue in its own clause
        echo = grammar.echo_re.fullmatch(rest) is not None  # "样品…不用再寄", "报价…先不报"
        verb = grammar.verb_re.match(rest)
        echo = echo or (verb is not None and _SUBJECT.match(rest, verb.end()) is not None)  # "交期不用催他们不急"
        lead = grammar.echo_re.match(rest)
        leads_to_item = lead is not None and end + lead.end() in starts  # "样品不用寄报价单发一下"
        behind_from = (loose if echo else tight).around(start)[0]
        behind = [i for i in targets if spans[i][1] <= end and spans[i][0] >= behind_from]
        behind = [i for i in reversed(behind) if start - spans[i][1] <= neg.reach * (2 if echo else 1)]
        touching = bool(behind) and behind[0] not in out
        touching = touching and _ADJACENT.fullmatch(text[spans[behind[0]][1] : start]) is not None
        turns = after and touching and _TURN.match(rest) is not None  # "316不考虑只用304": a new choice follows
        may_look_back = (after and not before) or echo or leads_to_item or turns
        if before and ahead and not (after and touching):
            out.update(_chain(spans, ahead, text))
        elif behind and may_look_back:
            out.update(_chain(spans, behind, text))
    return out


_TURN = re.compile(r"只|直接|还是|就用|用|改|换|要|等")
_DECLINED_LEAD = re.compile(r"(?:不用|不要|不需要|别|不必)(?:做到|做|搞到|弄到|到|上)?$")
_SUBJECT = re.compile(r"他们|我们|你们|客户|老板|他|她")
_ADJACENT = re.compile(r"[就先都也还暂时的话]*")


def bound_of(text: str, grammar: Grammar, param: Param, window_start: int) -> str | None:
    """ "max" or "min" when the speaker gave the value as a limit (不超过/以内 … 至少/以上), else None."""
    if isinstance(param.value, str | tuple):
        return None
    digit = next((i for i, ch in enumerate(param.text) if ch.isdigit()), 0)
    start = max(window_start, param.span[0] - 6)
    before_re, before_names = grammar.bound_before
    found = None
    for match in before_re.finditer(text, start, param.span[0] + digit):
        found = before_names[(match.lastindex or 1) - 1]
    after_re, after_names = grammar.bound_after
    after = after_re.search(text, param.span[1], param.span[1] + 6)
    if after is not None and all(ch in "的度左右啊吧了" for ch in text[param.span[1] : after.start()]):
        return after_names[(after.lastindex or 1) - 1]
    return found


def competitor_scopes(text: str, grammar: Grammar) -> tuple[list[Signal], list[Span]]:
    """Competitor mentions as signals, and the stretches after them where what is said is theirs."""
    clauses = Clauses(grammar.boundaries(text), len(text))
    mentions: list[Signal] = []
    scopes: list[Span] = []
    for match in grammar.competitor_re.finditer(text):
        mentions.append(Signal("competitor", match.group(0), match.span()))
        end = clauses.around(match.end())[1] if match.end() < len(text) else len(text)
        ours = grammar.ours_re.search(text, match.end(), end)
        scopes.append((match.start(), min(ours.start() if ours else end, match.end() + grammar.competitor_reach)))
    switching = grammar.switching_re.search(text)
    if switching is not None and not mentions:  # "想换一家" names no one: one mention at most
        mentions.append(Signal("competitor", switching.group(0), switching.span()))
    return mentions, scopes


def replacements(text: str, grammar: Grammar, params: list[Param]) -> list[Param]:
    """Withdraw X in "X改成Y"/"X不用了Y就行" and read a bare Y as X's kind; return params in text order."""
    out = sorted(params, key=lambda p: p.span)
    added: list[Param] = []
    for i, param in enumerate(out):
        following = out[i + 1] if i + 1 < len(out) else None
        limit = min(param.span[1] + 14, following.span[0] if following else len(text))
        between = text[param.span[1] : following.span[0]] if following else ""
        same = following is not None and (following.kind, following.scale, following.negated) == (
            param.kind,
            param.scale,
            False,
        )
        corrected = text[: param.span[0]].endswith("不是") and between in ("是", "而是", "要的是")  # 不是X是Y
        if same and len(between) <= 8 and (grammar.replace_re.search(between) or corrected):
            out[i] = replace(param, negated=True)
            continue
        if isinstance(param.value, str) or param.tolerance:
            continue
        gap = text[param.span[1] : limit]
        match = _REPLACEMENT.search(gap) or _BARE.search(gap)
        if match is None:
            continue
        lead = gap[: match.start()]
        replaced = grammar.replace_re.search(lead) is not None
        limited = grammar.bound_before[0].search(lead) is not None  # "HRC45左右不要超过50"
        closed = match.re is _REPLACEMENT  # "…不用了48就行": the new value closes the phrase
        declined = _DECLINED_LEAD.search(lead) is not None  # "58够了不用60", "40就够了不要做到50"
        asked = closed and _ASKED.match(gap, match.start()) is not None  # "HRC60做不了55行不行"
        if not ((param.negated and closed) or replaced or limited or asked or declined):
            continue
        if any(ch.isdigit() for ch in lead):
            continue
        said = float(match.group("num")), float(match.group("hi") or match.group("num"))
        value: float | tuple[float, float] = said[0] if said[0] == said[1] else (min(said), max(said))
        low, high = param.bounds() or (0.0, 0.0)
        if not (low / 3 <= min(said) and max(said) <= high * 3):
            continue
        start = param.span[1] + match.start("num")
        end = param.span[1] + max(match.end(g) for g in ("num", "hi", "deg") if match.group(g))
        added.append(replace(param, value=value, text=text[start:end], span=(start, end), negated=declined, bound=None))
        if replaced:
            out[i] = replace(param, negated=True)
    return sorted(out + added, key=lambda p: p.span)
