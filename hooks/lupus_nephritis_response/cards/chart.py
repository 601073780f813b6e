"""The patient's course as one SVG: proteinuria and kidney function against the therapy timeline (issue 15).

`render_chart(data, a, words)` is pure: from the mapped record and the Assessment to an SVG string, no clock, no
ids, no I/O. Plain SVG text is built here rather than drawn with matplotlib: the same chart took about 1 ms as
strings against about 40 ms through matplotlib's SVG backend (figures in docs/chart.md), and a chart rendered
for every LN card must stay off the hook's latency budget.

What is drawn (docs/chart.md): time on the x-axis from the earliest value or episode to today; UPCR/24-h
protein (g/g, left axis, solid blue circles) and eGFR (mL/min/1.73 m2, right axis, dashed vermillion squares;
serum creatinine in mg/dL when no eGFR is recorded); the line's baseline and the criteria set's partial- and
complete-response thresholds as reference lines; the 3/6/12/24-month time points after T0 with the class
reached; a relapse; the line agents' episodes as bars beneath, a pulse course drawn as its recorded pulses.
Colours are Okabe-Ito (colour-blind safe) and every series also differs by marker and dash, so print in grey
reads too. `<title>`/`<desc>` carry a text summary for screen readers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from xml.sax.saxutils import escape

from fhir_maps.domain import LabConcept, LabResult, PatientData, TherapyEpisode
from hooks.lupus_nephritis_response.cards.phrases import shown_months
from hooks.lupus_nephritis_response.cards.words import Words
from hooks.lupus_nephritis_response.knowledge.criteria_sets import CriteriaSet, Level, ResponseTest
from hooks.lupus_nephritis_response.knowledge.treatment_lines import LINE_AGENTS
from hooks.lupus_nephritis_response.rules.assessment import Assessment
from hooks.lupus_nephritis_response.rules.clinical_response import DAYS_PER_MONTH
from hooks.lupus_nephritis_response.rules.treatment_line import response_on

# Okabe & Ito, "Color Universal Design" (2008): distinguishable with every common colour-vision deficiency.
BLUE, VERMILLION, GREEN, ORANGE = "#0072B2", "#D55E00", "#009E73", "#E69F00"
SKY, PURPLE, GREY, BLACK = "#56B4E9", "#CC79A7", "#595959", "#000000"

WIDTH, PLOT_TOP, PLOT_BOTTOM, LEFT, RIGHT = 760, 62, 272, 64, 690
LANE_TOP, LANE_HEIGHT = 330, 28
ASSESSMENT_MONTHS = (3, 6, 12, 24)
FONT = "font-family:DejaVu Sans,Arial,Helvetica,sans-serif"
PROTEINURIA = (LabConcept.UPCR, LabConcept.PROTEIN_24H)
# A white outline under a label drawn over the plot keeps it legible where it crosses a line or a marker.
HALO = {"paint_order": "stroke", "stroke": "#ffffff", "stroke_width": "3", "stroke_linejoin": "round"}


@dataclass(frozen=True, slots=True)
class Point:
    day: date
    value: float


@dataclass(frozen=True, slots=True)
class Scale:
    """A linear map from a value range onto a pixel range (y grows downwards)."""

    low: float
    high: float
    top: float
    bottom: float

    def __call__(self, value: float) -> float:
        span = (self.high - self.low) or 1.0
        return self.bottom - (value - self.low) / span * (self.bottom - self.top)


def _points(results: Sequence[LabResult]) -> list[Point]:
    return [Point(r.when.date(), float(r.value)) for r in results if r.decides]


def proteinuria_points(data: PatientData) -> list[Point]:
    """Returns the decisive UPCR and 24-h protein values (taken as equivalent, g/g ~ g/day), by day."""
    merged = [p for c in PROTEINURIA for p in _points(data.series(c).results)]
    return sorted(merged, key=lambda p: p.day)


def kidney_points(data: PatientData) -> tuple[LabConcept, list[Point]]:
    """Returns eGFR values when any are recorded, else serum creatinine (the chart's right axis)."""
    egfr = _points(data.series(LabConcept.EGFR).results)
    if egfr:
        return LabConcept.EGFR, egfr
    return LabConcept.CREATININE, _points(data.series(LabConcept.CREATININE).results)


def _nice_top(value: float) -> float:
    for step in (0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100, 150, 200):
        if value <= step * 5:
            return step * 5
    return value


def _ticks(top: float) -> list[float]:
    return [top * i / 5 for i in range(6)]


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value < 10 else f"{value:.0f}"


def plus_months(day: date, months: int) -> date:
    """Returns the first day `months` have run since `day`, as the rules count them (DAYS_PER_MONTH days each)."""
    return day + timedelta(days=math.ceil(Decimal(months) * DAYS_PER_MONTH))


def threshold(test: ResponseTest, baseline: float | None) -> float | None:
    """Returns the proteinuria a test needs the value to fall below: the lower of its ceiling and its fall."""
    limits = []
    if test.max_proteinuria is not None:
        limits.append(float(test.max_proteinuria))
    if test.min_fall is not None and baseline is not None:
        limits.append(baseline * (1 - float(test.min_fall)))
    return min(limits) if limits else None


class _Svg:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, text: str) -> None:
        self.parts.append(text)

    def text(self, x: float, y: float, content: str, **attrs: str) -> None:
        extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
        self.add(f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(content)}</text>')

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str, **attrs: str) -> None:
        extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
        self.add(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}"{extra}/>')


@dataclass(frozen=True, slots=True)
class _Frame:
    start: date
    end: date

    def x(self, day: date) -> float:
        span = max((self.end - self.start).days, 1)
        return LEFT + (day - self.start).days / span * (RIGHT - LEFT)


def _frame(data: PatientData, a: Assessment, points: Sequence[Point]) -> _Frame:
    today = a.today or max((p.day for p in points), default=date(2000, 1, 1))
    days = [p.day for p in points] + [e.start for e in _episodes(data, a)]
    if a.line is not None:
        days.append(a.line.t0)
    start = min(days, default=today - timedelta(days=365))
    start = min(start, today - timedelta(days=90)) - timedelta(days=14)
    return _Frame(start, today + timedelta(days=21))


def _episodes(data: PatientData, a: Assessment) -> list[TherapyEpisode]:
    today = a.today or date.max
    return [e for e in data.episodes if e.agent in LINE_AGENTS and e.start <= today]


def _x_axis(svg: _Svg, frame: _Frame, words: Words) -> None:
    svg.line(LEFT, PLOT_BOTTOM, RIGHT, PLOT_BOTTOM, BLACK)
    months = max((frame.end - frame.start).days // 30, 1)
    step = next(s for s in (1, 2, 3, 6, 12, 24, 60) if months / s <= 8)
    day = date(frame.start.year, frame.start.month, 1)
    while day <= frame.end:
        if day >= frame.start and (day.month - 1) % step == 0:
            x = frame.x(day)
            svg.line(x, PLOT_TOP, x, PLOT_BOTTOM, "#e6e6e6")
            svg.line(x, PLOT_BOTTOM, x, PLOT_BOTTOM + 4, BLACK)
            svg.text(x, PLOT_BOTTOM + 16, f"{day:%Y-%m}", text_anchor="middle", font_size="11")
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    svg.text((LEFT + RIGHT) / 2, PLOT_BOTTOM + 31, words.t("chart.axis.time"), text_anchor="middle", font_size="12")


def _y_axis(svg: _Svg, scale: Scale, x: float, label: str, colour: str, *, left: bool) -> None:
    svg.line(x, PLOT_TOP, x, PLOT_BOTTOM, colour, stroke_width="1.5")
    for tick in _ticks(scale.high):
        y = scale(tick)
        svg.line(x, y, x - 4 if left else x + 4, y, colour)
        anchor = "end" if left else "start"
        svg.text(x - 6 if left else x + 6, y + 4, _num(tick), text_anchor=anchor, font_size="11", fill=colour)
    mid = (PLOT_TOP + PLOT_BOTTOM) / 2
    lx = x - 46 if left else x + 50
    svg.text(
        lx, mid, label, text_anchor="middle", font_size="12", fill=colour, transform=f"rotate(-90 {lx:.1f} {mid:.1f})"
    )


def _series(svg: _Svg, name: str, points: Sequence[Point], frame: _Frame, scale: Scale, colour: str) -> None:
    square = name == "kidney"
    svg.add(f'<g class="series" data-series="{name}" fill="{colour}" stroke="{colour}">')
    if len(points) > 1:
        path = " ".join(f"{frame.x(p.day):.1f},{scale(p.value):.1f}" for p in points)
        dash = ' stroke-dasharray="6 4"' if square else ""
        svg.add(f'<polyline points="{path}" fill="none" stroke-width="2"{dash}/>')
    for p in points:
        x, y = frame.x(p.day), scale(p.value)
        if square:
            svg.add(f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8"/>')
        else:
            svg.add(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5"/>')
    svg.add("</g>")


def _reference(svg: _Svg, y: float, label: str, colour: str, dash: str, name: str) -> None:
    if not PLOT_TOP <= y <= PLOT_BOTTOM:
        return
    svg.add(f'<g class="reference" data-reference="{name}">')
    svg.line(LEFT, y, RIGHT, y, colour, stroke_width="1.5", stroke_dasharray=dash)
    svg.text(RIGHT - 4, y - 3, label, text_anchor="end", font_size="11", fill=colour, font_weight="bold", **HALO)
    svg.add("</g>")


def _references(svg: _Svg, a: Assessment, cs: CriteriaSet, scale: Scale, words: Words) -> None:
    p = a.proteinuria
    baseline = float(p.baseline.value) if p is not None and p.baseline is not None else None
    unit = words.t("unit.upcr")
    if baseline is not None:
        _reference(
            svg,
            scale(baseline),
            words.t("chart.ref.baseline", value=_num(baseline), unit=unit),
            GREY,
            "2 3",
            "baseline",
        )
    for name, test, colour, dash in (("partial", cs.partial, ORANGE, "8 4"), ("complete", cs.complete, GREEN, "4 2")):
        value = threshold(test, baseline)
        if value is not None:
            label = words.t(f"chart.ref.{name}", value=_num(value), unit=unit)
            _reference(svg, scale(value), label, colour, dash, name)


def _assessment_points(
    svg: _Svg, data: PatientData, a: Assessment, cs: CriteriaSet, frame: _Frame, words: Words
) -> list[str]:
    line, today = a.line, a.today
    if line is None or today is None:
        return []
    said: list[str] = []
    for months in ASSESSMENT_MONTHS:
        day = plus_months(line.t0, months)
        if day > today:
            break
        r = response_on(data, cs, line.t0, day)
        short = words.t("chart.level.none-yet") if r is None else words.t(f"chart.level.{int(r.level)}")
        x = frame.x(day)
        svg.add(f'<g class="assessment" data-months="{months}">')
        svg.line(x, PLOT_TOP - 4, x, PLOT_BOTTOM, BLACK, stroke_width="1", stroke_dasharray="1 3")
        label = words.t("chart.assessment", months=months, level=short)
        row = PLOT_TOP - 8 - 14 * (len(said) % 2)  # alternate rows: 3 and 6 months may sit close together
        svg.line(x, row + 3, x, PLOT_TOP - 4, BLACK, stroke_width="1", stroke_dasharray="1 3")
        svg.text(x, row, label, text_anchor="middle", font_size="11", font_weight="bold")
        svg.add("</g>")
        said.append(label)
    if a.response is not None:  # the class the card judges today, at today's date
        x = frame.x(today)
        # the card's own month count (rounded, never onto a time point not reached), so chart and text agree
        label = words.t("chart.now", months=shown_months(a), level=words.t(f"chart.level.{int(a.response.level)}"))
        svg.add('<g class="assessment" data-months="now">')
        svg.line(x, PLOT_TOP, x, PLOT_BOTTOM, BLACK, stroke_width="1.5")
        svg.text(x - 4, PLOT_BOTTOM - 6, label, text_anchor="end", font_size="11", font_weight="bold", **HALO)
        svg.add("</g>")
        said.append(label)
    return said


def _relapse(svg: _Svg, a: Assessment, frame: _Frame, words: Words) -> str:
    relapse = a.line.relapse if a.line is not None else None
    if relapse is None:
        return ""
    x = frame.x(relapse.lost_on)
    label = words.t("chart.relapse", day=relapse.lost_on.isoformat())
    svg.add('<g class="relapse">')
    svg.line(x, PLOT_TOP, x, PLOT_BOTTOM, PURPLE, stroke_width="2.5")
    svg.add(
        f'<path d="M{x - 6:.1f},{PLOT_TOP + 2:.1f} L{x + 6:.1f},{PLOT_TOP + 2:.1f} L{x:.1f},{PLOT_TOP + 12:.1f} Z" '
        f'fill="{PURPLE}"/>'
    )
    right_half = x > (LEFT + RIGHT) / 2  # the label reads towards the middle, never off the plot
    lx, anchor = (x - 8, "end") if right_half else (x + 8, "start")
    svg.text(lx, PLOT_TOP + 30, label, text_anchor=anchor, font_size="11", fill=PURPLE, font_weight="bold", **HALO)
    svg.add("</g>")
    return label


def _lanes(svg: _Svg, episodes: Sequence[TherapyEpisode], frame: _Frame, words: Words) -> list[str]:
    agents = list(dict.fromkeys(e.agent for e in sorted(episodes, key=lambda e: e.start)))
    svg.text(LEFT, LANE_TOP - 6, words.t("chart.therapy"), font_size="12", font_weight="bold")
    said = []
    for lane, agent in enumerate(agents):
        y = LANE_TOP + lane * LANE_HEIGHT
        svg.add(f'<g class="therapy" data-agent="{agent.value}">')
        svg.line(LEFT, y + LANE_HEIGHT - 2, RIGHT, y + LANE_HEIGHT - 2, "#eeeeee")
        mine = [e for e in episodes if e.agent is agent]
        for e in mine:
            _episode(svg, e, frame, y + 8)
        name = words.agent(agent)
        svg.text(max(frame.x(mine[0].start), LEFT), y + 8, name, font_size="11")
        svg.add("</g>")
        said.append(name)
    return said


def _episode(svg: _Svg, e: TherapyEpisode, frame: _Frame, y: float) -> None:
    pulses = sorted({o.start for o in e.orders if o.administered})
    if len(pulses) > 1 or (pulses and e.end is not None and (e.end - e.start).days <= 3):
        for day in pulses:  # a pulse course: each recorded dose as a tick
            x = frame.x(day)
            svg.add(f'<rect x="{x - 2:.1f}" y="{y + 2:.1f}" width="4" height="16" fill="{BLUE}"/>')
        return
    end = e.end or frame.end - timedelta(days=14)
    x1, x2 = frame.x(e.start), max(frame.x(end), frame.x(e.start) + 3)
    svg.add(
        f'<rect x="{x1:.1f}" y="{y + 5:.1f}" width="{x2 - x1:.1f}" height="10" rx="2" fill="{SKY}" stroke="{BLUE}"/>'
    )
    if e.end is None:  # ongoing: an arrow head at today
        svg.add(f'<path d="M{x2:.1f},{y + 2:.1f} L{x2 + 7:.1f},{y + 10:.1f} L{x2:.1f},{y + 18:.1f} Z" fill="{BLUE}"/>')


def _legend(svg: _Svg, kidney_label: str, words: Words) -> None:
    y = 16
    svg.add('<g class="legend">')
    svg.add(f'<circle cx="{LEFT + 6}" cy="{y - 4}" r="4.5" fill="{BLUE}"/>')
    svg.text(LEFT + 16, y, words.t("chart.legend.proteinuria"), font_size="12")
    svg.add(f'<rect x="{LEFT + 222}" y="{y - 8}" width="8" height="8" fill="{VERMILLION}"/>')
    svg.text(LEFT + 236, y, kidney_label, font_size="12")
    svg.add("</g>")


def chart_title(words: Words) -> str:
    """Returns the chart's title (also the card link's label)."""
    return words.t("chart.title")


def render_chart(data: PatientData, a: Assessment, words: Words) -> str:
    """Returns the SVG of the patient's course: proteinuria and kidney function over time, with the therapy
    episodes beneath, the set's thresholds, the 3/6/12/24-month classes and a relapse. Pure."""
    cs = a.criteria
    protein = proteinuria_points(data)
    kidney_concept, kidney = kidney_points(data)
    episodes = _episodes(data, a)
    frame = _frame(data, a, protein + kidney)
    lanes = len({e.agent for e in episodes})
    height = LANE_TOP + max(lanes, 1) * LANE_HEIGHT + 16
    svg = _Svg()
    egfr = kidney_concept is LabConcept.EGFR
    kidney_label = words.t("chart.axis.egfr" if egfr else "chart.axis.creatinine")
    protein_scale = Scale(0, _nice_top(max([p.value for p in protein] + [1.0]) * 1.1), PLOT_TOP, PLOT_BOTTOM)
    kidney_default = 120.0 if egfr else 2.0
    kidney_scale = Scale(0, _nice_top(max([p.value for p in kidney] + [kidney_default])), PLOT_TOP, PLOT_BOTTOM)
    svg.add(f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>')
    _legend(svg, kidney_label, words)
    _x_axis(svg, frame, words)
    _y_axis(svg, protein_scale, LEFT, words.t("chart.axis.proteinuria"), BLUE, left=True)
    _y_axis(svg, kidney_scale, RIGHT, kidney_label, VERMILLION, left=False)
    if cs is not None:
        _references(svg, a, cs, protein_scale, words)
    points = _assessment_points(svg, data, a, cs, frame, words) if cs is not None else []
    relapse = _relapse(svg, a, frame, words)
    _series(svg, "proteinuria", protein, frame, protein_scale, BLUE)
    if kidney:
        _series(svg, "kidney", kidney, frame, kidney_scale, VERMILLION)
    agents = _lanes(svg, episodes, frame, words)
    desc = _description(protein, kidney, kidney_label, agents, points, relapse, words)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'role="img" aria-labelledby="chart-title chart-desc" style="{FONT}">'
        f'<title id="chart-title">{escape(chart_title(words))}</title><desc id="chart-desc">{escape(desc)}</desc>'
    )
    return head + "".join(svg.parts) + "</svg>"


def _description(
    protein: Sequence[Point],
    kidney: Sequence[Point],
    kidney_label: str,
    agents: Sequence[str],
    points: Sequence[str],
    relapse: str,
    words: Words,
) -> str:
    parts = []
    if protein:
        parts.append(
            words.t(
                "chart.desc.proteinuria",
                count=len(protein),
                first=_num(protein[0].value),
                first_day=protein[0].day.isoformat(),
                last=_num(protein[-1].value),
                last_day=protein[-1].day.isoformat(),
            )
        )
    if kidney:
        parts.append(
            words.t(
                "chart.desc.kidney",
                what=kidney_label,
                first=_num(kidney[0].value),
                last=_num(kidney[-1].value),
                last_day=kidney[-1].day.isoformat(),
            )
        )
    if agents:
        parts.append(words.t("chart.desc.therapy", agents=words.join(list(agents))))
    parts.extend(points)
    if relapse:
        parts.append(relapse)
    return ". ".join(parts) + "."


def level_short(level: Level, words: Words) -> str:
    """Returns the short class name used on the chart ("PR", "CR")."""
    return words.t(f"chart.level.{int(level)}")


__all__ = ["chart_title", "level_short", "render_chart"]
