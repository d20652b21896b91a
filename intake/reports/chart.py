"""The monthly trend as an SVG bar chart drawn on the server: prints as sharply as the text and
needs no script (``templates/intake/statistics_chart.html`` draws the ``Chart``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext

from intake.reports.statistics import Counts

CHART_WIDTH, CHART_HEIGHT = 720, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 44, 16, 40
IN_TIME_COLOUR, LATE_COLOUR, RECEIVED_COLOUR, RATE_COLOUR = (
    "#198754",
    "#dc3545",
    "#adb5bd",
    "#0d6efd",
)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass
class Chart:
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    bars: list[Bar] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    grid: list[float] = field(default_factory=list)
    rate_points: list[tuple[float, float]] = field(default_factory=list)
    plot_left: float = _LEFT
    plot_right: float = CHART_WIDTH - _RIGHT
    plot_top: float = _TOP
    plot_bottom: float = CHART_HEIGHT - _BOTTOM
    colours: dict = field(
        default_factory=lambda: {
            "in_time": IN_TIME_COLOUR,
            "late": LATE_COLOUR,
            "received": RECEIVED_COLOUR,
            "rate": RATE_COLOUR,
        }
    )

    @property
    def rate_line(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in self.rate_points)


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10ⁿ at or above ``value`` (at least 5)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= max(value, 5):
                return step * factor
        step *= 10


def trend_chart(trend: list[tuple[date, Counts]]) -> Chart:
    """Per month a grey bar of the dossiers received and a bar of those resolved (on time or
    early in green, late in red on top), with the on-time rate as a blue line (0–100 % on the
    right axis)."""
    chart = Chart()
    if not trend:
        return chart
    top = _nice_ceiling(max(max(c.received, c.resolved) for _, c in trend))
    height = chart.plot_bottom - chart.plot_top
    slot = (chart.plot_right - chart.plot_left) / len(trend)
    bar = slot * 0.34

    def y(value: float, scale: float) -> float:
        return chart.plot_bottom - height * value / scale

    for tick in range(6):  # five intervals: whole numbers for any top of 1, 2, 5 × 10ⁿ ≥ 5
        value = top * tick // 5
        chart.grid.append(round(y(value, top), 1))
        chart.texts.append(Text(chart.plot_left - 6, y(value, top) + 4, str(value), "end"))
        chart.texts.append(Text(chart.plot_right + 6, y(value, top) + 4, f"{tick * 20}%", "start"))
    for index, (month, counts) in enumerate(trend):
        left = chart.plot_left + slot * index + slot * 0.14
        label = f"{month:%m/%Y}"
        chart.bars.append(
            Bar(
                round(left, 1),
                round(y(counts.received, top), 1),
                round(bar, 1),
                round(height * counts.received / top, 1),
                RECEIVED_COLOUR,
                gettext("%(month)s: %(count)s received")
                % {"month": label, "count": counts.received},
            )
        )
        in_time = height * counts.resolved_in_time / top
        late = height * counts.resolved_late / top
        right = left + bar + 2
        chart.bars.append(
            Bar(
                round(right, 1),
                round(chart.plot_bottom - in_time, 1),
                round(bar, 1),
                round(in_time, 1),
                IN_TIME_COLOUR,
                gettext("%(month)s: %(count)s resolved early or on time")
                % {"month": label, "count": counts.resolved_in_time},
            )
        )
        chart.bars.append(
            Bar(
                round(right, 1),
                round(chart.plot_bottom - in_time - late, 1),
                round(bar, 1),
                round(late, 1),
                LATE_COLOUR,
                gettext("%(month)s: %(count)s resolved late")
                % {"month": label, "count": counts.resolved_late},
            )
        )
        centre = chart.plot_left + slot * (index + 0.5)
        chart.texts.append(Text(round(centre, 1), chart.plot_bottom + 16, f"{month:%m/%y}"))
        if counts.on_time_rate is not None:
            chart.rate_points.append((centre, y(float(counts.on_time_rate), 100)))
    return chart
