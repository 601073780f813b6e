"""The GitHub-Markdown blocks of the card details: figures, the measurements table, the checklist and data notes."""

from __future__ import annotations

from fhir_maps.domain import LabConcept
from hooks.lupus_nephritis_response.cards.phrases import (
    agent_names,
    format_param,
    line_agents,
    measure_key,
    reading_value,
    requirements,
)
from hooks.lupus_nephritis_response.cards.words import cap, fmt_amount, fmt_date, fmt_pct, t
from hooks.lupus_nephritis_response.knowledge.criteria_sets import Checkpoint, CriteriaSet
from hooks.lupus_nephritis_response.rules.assessment import Assessment, Missing
from hooks.lupus_nephritis_response.rules.checklist import ChecklistItem
from hooks.lupus_nephritis_response.rules.measures import (
    KidneyFunction,
    KidneyMethod,
    KidneyState,
    Proteinuria,
    Reading,
    Sediment,
)
from hooks.lupus_nephritis_response.rules.treatment_line import TreatmentLine


def window(c: Checkpoint, locale: str) -> str:
    """Returns "target 6-12 months" (or "target 24 months")."""
    start = fmt_amount(c.months, 0)
    if c.window_end_months is None:
        return t("window.from", locale, start=start)
    return t("window.range", locale, start=start, end=fmt_amount(c.window_end_months, 0))


def needs(c: Checkpoint, cs: CriteriaSet, p: Proteinuria | None, locale: str) -> str:
    """Returns "A partial response needs ..." for checkpoint `c`, in the unit of the current proteinuria."""
    unit = t(f"unit.{measure_key(p)}", locale) if p else t("unit.upcr", locale)
    target = t(f"target.{c.key}", locale)
    return t("detail.needs", locale, target=target, requirements=requirements(c.test, cs, unit, locale))


def figures_sentence(p: Proteinuria, locale: str) -> str:
    """Returns "UPCR: 3.10 g/g on 2025-01-12 → 2.60 g/g on 2025-06-20 (-16%)."; without a computable change (a
    censored value, a zero baseline) the percentage is left out."""
    if p.baseline is None or p.current is None:
        return ""
    values = {
        "measure": t(f"measure.{measure_key(p)}", locale),
        "baseline": _with_unit(p.baseline, locale),
        "baseline_day": fmt_date(p.baseline.day),
        "current": _with_unit(p.current, locale),
        "current_day": fmt_date(p.current.day),
    }
    if p.change is None:
        return t("detail.figures.no-change", locale, **values)
    return t("detail.figures", locale, change=fmt_pct(p.change), **values)


def _with_unit(r: Reading, locale: str) -> str:
    key = "upcr" if r.concept is LabConcept.UPCR else "protein-24h"
    return f"{reading_value(r)} {t(f'unit.{key}', locale)}"


def line_block(a: Assessment, line: TreatmentLine, locale: str) -> str:
    """Returns the line, earlier failed agents and the class, one sentence each."""
    out = [t("detail.line", locale, t0=fmt_date(line.t0), agents=line_agents(line, locale))]
    if line.failed_agents:
        out.append(t("detail.failed", locale, agents=agent_names(line.failed_agents, locale)))
    if a.classes:
        out.append(t("detail.class", locale, ln_class="+".join(a.classes)))
    else:
        out.append(t("detail.class-not-recorded", locale))
    return " ".join(out)


def _cell(r: Reading | None, locale: str) -> str:
    if r is None:
        return t("table.none", locale)
    return t("table.value", locale, value=reading_value(r), day=fmt_date(r.day))


def _kidney_row(k: KidneyFunction, a: Assessment, locale: str) -> str:
    label = t(f"kidney.{k.method.value}" if k.method else "kidney.none", locale)
    change = fmt_pct(k.change) if k.change is not None else t("table.none", locale)
    tolerance = fmt_pct(a.criteria.kidney_tolerance, signed=False) if a.criteria else ""
    status = t(f"kidney-state.{k.state.value}", locale, change=change, pct=tolerance)
    return t(
        "table.row",
        locale,
        measure=label,
        baseline=_cell(k.baseline, locale),
        current=_cell(k.current, locale),
        status=status,
    )


def _sediment_cell(s: Sediment, locale: str) -> str:
    parts = []
    if s.rbc is not None:
        key = "sediment.rbc-flagged" if s.rbc_flagged_abnormal else "sediment.rbc"
        parts.append(t(key, locale, value=reading_value(s.rbc)))
    if s.cellular_casts is not None:
        parts.append(t("sediment.casts", locale, value=reading_value(s.cellular_casts)))
    if s.untyped_casts is not None:
        parts.append(t("sediment.untyped", locale, value=reading_value(s.untyped_casts)))
    days = [r.day for r in (s.rbc, s.cellular_casts, s.untyped_casts) if r is not None]
    if not parts:
        return t("table.none", locale)
    return t("table.value", locale, value=t("sediment.sep", locale).join(parts), day=fmt_date(max(days)))


def table(a: Assessment, locale: str) -> str:
    """Returns the measurements table: proteinuria, kidney function, sediment."""
    m, p = a.measurements, a.proteinuria
    if m is None or p is None:
        return ""
    key = measure_key(p)
    proteinuria_label = t(
        "table.proteinuria", locale, measure=t(f"measure.{key}", locale), unit=t(f"unit.{key}", locale)
    )
    change = fmt_pct(p.change) if p.change is not None else t("table.none", locale)
    rows = [
        t("table.head", locale),
        t(
            "table.row",
            locale,
            measure=proteinuria_label,
            baseline=_cell(p.baseline, locale),
            current=_cell(p.current, locale),
            status=change,
        ),
        _kidney_row(m.kidney, a, locale),
        t(
            "table.row",
            locale,
            measure=t("table.sediment", locale),
            baseline=t("table.none", locale),
            current=_sediment_cell(m.sediment, locale),
            status=t(f"sediment-state.{m.sediment.state.value}", locale),
        ),
    ]
    return "\n".join(rows)


def checklist(items: tuple[ChecklistItem, ...], locale: str) -> str:
    """Returns the "Before calling it refractory" list, flagged items first."""
    lines = [t("detail.checklist", locale), ""]
    for item in items:
        values = {name: format_param(value, locale) for name, value in item.params}
        lines.append(t(f"state.{item.state.value}", locale, text=t(f"check.{item.key}", locale, **values)))
    return "\n".join(lines)


def notes(a: Assessment, locale: str) -> str:
    """Returns notes on the data (preliminary or skipped results, mixed kinds, computed eGFR, unrecognised drugs)."""
    out = []
    p, m = a.proteinuria, a.measurements
    if p and p.preliminary_skipped:
        out.append(t("note.preliminary", locale, day=fmt_date(p.preliminary_skipped)))
    if a.proteinuria_unit_skipped:
        out.append(t("note.unit-skipped", locale))
    if p and p.mixed_kinds:
        out.append(t("note.mixed", locale))
    if m and m.kidney.method is KidneyMethod.EGFR_COMPUTED:
        out.append(t("note.egfr-computed", locale))
    if m and m.kidney.method is KidneyMethod.CREATININE and m.kidney.state is not KidneyState.NORMAL:
        out.append(t("note.creatinine-direct", locale))
    if a.class_not_applicable:
        out.append(t("note.class-not-applicable", locale, ln_class="+".join(a.classes)))
    if a.unresolved_medications:
        out.append(t("note.unresolved-medications", locale, count=a.unresolved_medications))
    return "\n".join([t("detail.notes", locale), "", *out]) if out else ""


def missing_list(a: Assessment, p: Proteinuria, locale: str) -> str:
    """Returns a bullet per missing measure, with the window and its dates."""
    lines = []
    for missing in a.missing:
        if missing is Missing.BASELINE:
            start, end = p.baseline_window
            text = t("missing.baseline", locale, start=fmt_date(start), end=fmt_date(end))
        elif missing is Missing.CURRENT:
            start, end = p.current_window
            last = t("missing.current.last", locale, day=fmt_date(p.last_decisive.day)) if p.last_decisive else ""
            text = t("missing.current", locale, start=fmt_date(start), end=fmt_date(end), last=last)
        else:
            day = fmt_date(p.baseline.day) if p.baseline else ""
            text = t("missing.since-baseline", locale, day=day)
        lines.append(f"- {cap(text)}")
    return "\n".join(lines)
