"""The sample forging and heat-treatment plant and the tour the demo replays."""

from __future__ import annotations

from dataclasses import dataclass

SITE = "demo"
ZONES = {
    "injection": "注塑车间",
    "heat-treat": "热处理车间",
    "machining": "机加工车间",
    "assembly": "装配车间",
}
VISITORS = {
    "V-0001": ("张伟", "华东阀门"),
    "V-0002": ("李娜", "苏北精密"),
}
REP = ("R-007", "王磊")
UIDS = {"V-0001": "01010A0B0C0D0E01", "V-0002": "01010A0B0C0D0E02", "R-007": "01010A0B0C0D0E07"}


def station_for(zone: str) -> str:
    """Return the id of the station at a zone's entrance."""
    return f"gate-{zone}"


@dataclass(frozen=True)
class RecordedTap:
    """A tap from this morning's tour, queued in the station's outbox before the demo starts."""

    at_s: int  # seconds after the morning tour began
    zone: str
    badge: str


@dataclass(frozen=True)
class RecordedNote:
    """A rep's note from this morning, as the Chinese small model transcribed it."""

    at_s: int
    zone: str
    text: str
    visitors: tuple[str, ...]


MORNING_TAPS = (
    RecordedTap(0, "injection", "V-0001"),
    RecordedTap(40, "injection", "V-0002"),
    RecordedTap(110, "heat-treat", "V-0002"),
    RecordedTap(200, "heat-treat", "V-0001"),
    RecordedTap(560, "machining", "V-0001"),
    RecordedTap(600, "machining", "V-0002"),
    RecordedTap(840, "machining", "V-0001"),
    RecordedTap(900, "assembly", "V-0002"),
    RecordedTap(1080, "assembly", "V-0002"),
)

MORNING_NOTES = (
    RecordedNote(300, "heat-treat", "这个 阀 体 得 热 处理 到 h r c 四十五 才 行", ("V-0001",)),
    RecordedNote(700, "machining", "客户 说 下 周 要 报价 还 要 先 打 样品", ("V-0001", "V-0002")),
)


@dataclass(frozen=True)
class LiveTap:
    """A tap the emulated readers replay while the demo runs."""

    at_s: float
    zone: str
    badge: str


LIVE_TOUR = (
    LiveTap(0.0, "injection", "V-0001"),
    LiveTap(1.5, "injection", "V-0002"),
    LiveTap(4.0, "heat-treat", "V-0001"),
    LiveTap(6.0, "machining", "V-0002"),
    LiveTap(8.0, "machining", "V-0001"),
    LiveTap(10.0, "assembly", "V-0002"),
)
