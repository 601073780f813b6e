"""The GitHub-Markdown blocks of the card details: figures, the measurements table, the checklist and data notes."""

from __future__ import annotations

from hooks.lupus_nephritis_response.cards.phrases import (
    format_param,
    line_agents,
    measure_key,
    reading_value,
    requirements,
)
from hooks.lupus_nephritis_response.cards.words import Words, cap, proteinuria_kind
from hooks.lupus_nephritis_response.knowledge.criteria_sets import Checkpoint, CriteriaSet
from hooks.lupus_nephritis_response.rules.assessment import Assessment, Missing, Verdict
from hooks.lupus_nephritis_response.rules.checklist import ChecklistItem, ItemState
from hooks.lupus_nephritis_response.rules.measures import (
    CURRENT_AGE_NOTE_DAYS,
    KidneyFunction,
    KidneyMethod,
    KidneyState,
    NormalBy,
    Proteinuria,
    Reading,
    Sediment,
)
from hooks.lupus_nephritis_response.rules.treatment_line import ChangeKind, T0Reason, TreatmentLine


def window(c: Checkpoint, words: Words) -> str:
    """Returns "target 6-12 months" (or "target 24 months")."""
    start = words.amount(c.months, 0)
    if c.window_end_months is None:
        return words.t("window.from", start=start)
    return words.t("window.range", start=start, end=words.amount(c.window_end_months, 0))


def needs(c: Checkpoint, cs: CriteriaSet, p: Proteinuria | None, words: Words) -> str:
    """Returns "A partial response needs ..." for checkpoint `c`, in the unit of the current proteinuria."""
    unit = words.unit(measure_key(p) if p else "upcr")
    target = words.target(c)
    return words.t("detail.needs", target=target, requirements=requirements(c.test, cs, unit, words))


def figures_sentence(p: Proteinuria, words: Words) -> str:
    """Returns "UPCR: 3.10 g/g on 2025-01-12 → 2.60 g/g on 2025-06-20 (-16%)."; without a computable change (a
    censored value, a zero baseline) the percentage is left out."""
    if p.baseline is None or p.current is None:
        return ""
    values = {
        "measure": words.measure(measure_key(p)),
        "baseline": _with_unit(p.baseline, words),
        "baseline_day": words.day(p.baseline.day),
        "current": _with_unit(p.current, words),
        "current_day": words.day(p.current.day),
    }
    if p.change is None:
        return words.t("detail.figures.no-change", **values)
    return words.t("detail.figures", change=words.pct(p.change), **values)


def _with_unit(r: Reading, words: Words) -> str:
    return f"{reading_value(r, words)} {words.unit(proteinuria_kind(r.concept))}"


def line_block(a: Assessment, line: TreatmentLine, words: Words) -> str:
    """Returns the line, earlier failed agents and the class, one sentence each."""
    out = [
        words.t("detail.line", t0=words.day(line.t0), agents=line_agents(line, words, course_end=False)),
        *line_history(line, words),
    ]
    if line.failed_agents:
        out.append(words.t("detail.failed", agents=words.combination(line.failed_agents)))
    if a.classes:
        out.append(words.t("detail.class", ln_class="+".join(a.classes)))
    else:
        out.append(words.t("detail.class-not-recorded"))
    return " ".join(out)


def line_history(line: TreatmentLine, words: Words) -> list[str]:
    """Returns how the line's T0 was found and what it went through: the date used and why (issue 10 section 2)."""
    out = []
    first = words.day(line.first_given) if line.first_given else ""
    agents = cap(words.combination(line.agents[:1]))
    if line.t0_reason is T0Reason.INTENSIFIED:
        diagnosed = words.day(line.diagnosed) if line.diagnosed else ""
        out.append(
            words.t("line.t0.intensified", agents=agents, first=first, diagnosed=diagnosed, t0=words.day(line.t0))
        )
    elif line.t0_reason is T0Reason.DIAGNOSIS:
        out.append(words.t("line.t0.diagnosis", agents=agents, first=first, t0=words.day(line.t0)))
    planned = [c for c in line.changes if c.kind is ChangeKind.PLANNED_MAINTENANCE and c.day >= line.t0]
    if planned:
        induction = [a for a in line.agents if a not in {x for c in planned for x in c.agents}]
        out.append(
            words.t(
                "line.planned-maintenance",
                agents=cap(words.combination([a for c in planned for a in c.agents])),
                induction=words.combination(induction),
            )
        )
    if line.course_ended is not None and not line.current_agents:
        out.append(words.t("line.course-ended", day=words.day(line.course_ended)))
    relapse = line.relapse
    if relapse is not None and relapse.reinduction is not None:
        out.append(
            words.t(
                "line.relapse",
                level=words.level(relapse.level),
                reached=words.day(relapse.reached_on),
                lost=words.day(relapse.lost_on),
                t0=words.day(line.t0),
            )
        )
    return out


def _cell(r: Reading | None, words: Words) -> str:
    if r is None:
        return words.t("table.none")
    return words.t("table.value", value=reading_value(r, words), day=words.day(r.day))


def _kidney_row(k: KidneyFunction, a: Assessment, words: Words) -> str:
    # No pair of values: the latest eGFR, if any, is shown as current (only the baseline is missing: review E11)
    label = words.kidney_method(k.method or (KidneyMethod.EGFR_REPORTED if k.latest_egfr else None))
    change = words.pct(k.change) if k.change is not None else words.t("table.none")
    tolerance = words.pct(a.criteria.kidney_tolerance, signed=False) if a.criteria else ""
    status = words.kidney_state(k.state, change=change, pct=tolerance)
    if k.state is KidneyState.NORMAL and k.normal_by not in (None, NormalBy.LAB_FLAG):
        status = words.t("kidney-state.normal.limit")
    elif k.state is KidneyState.UNKNOWN and k.baseline is None and k.latest_egfr is not None:
        status = words.t("kidney-state.unknown.baseline")  # a recent value exists: only the baseline is missing
    return words.t(
        "table.row",
        measure=label,
        baseline=_cell(k.baseline, words),
        current=_cell(k.current or k.latest_egfr, words),
        status=status,
    )


def _sediment_cell(s: Sediment, words: Words) -> str:
    parts = []
    if s.rbc is not None:
        key = "sediment.rbc-flagged" if s.rbc_flagged_abnormal else "sediment.rbc"
        parts.append(words.t(key, value=reading_value(s.rbc, words)))
    if s.cellular_casts is not None:
        parts.append(words.t("sediment.casts", value=reading_value(s.cellular_casts, words)))
    if s.untyped_casts is not None:
        parts.append(words.t("sediment.untyped", value=reading_value(s.untyped_casts, words)))
    days = [r.day for r in (s.rbc, s.cellular_casts, s.untyped_casts) if r is not None]
    if not parts:
        return words.t("table.none")
    return words.t("table.value", value=words.t("sediment.sep").join(parts), day=words.day(max(days)))


def table(a: Assessment, words: Words) -> str:
    """Returns the measurements table: proteinuria, kidney function, sediment."""
    m, p = a.measurements, a.proteinuria
    if m is None or p is None:
        return ""
    key = measure_key(p)
    proteinuria_label = words.t("table.proteinuria", measure=words.measure(key), unit=words.unit(key))
    change = words.pct(p.change) if p.change is not None else words.t("table.none")
    rows = [
        words.t("table.head"),
        words.t(
            "table.row",
            measure=proteinuria_label,
            baseline=_cell(p.baseline, words),
            current=_cell(p.current, words),
            status=change,
        ),
        _kidney_row(m.kidney, a, words),
        words.t(
            "table.row",
            measure=words.t("table.sediment"),
            baseline=words.t("table.none"),
            current=_sediment_cell(m.sediment, words),
            status=words.sediment_state(m.sediment.state),
        ),
    ]
    return "\n".join(rows)


def checklist(items: tuple[ChecklistItem, ...], words: Words) -> str:
    """Returns the "Before calling it refractory" list: flagged and unrecorded items as bullets, then the checks the
    record cannot show collapsed into one line."""
    lines = [words.t("detail.checklist"), ""]
    checks = []
    for item in items:
        values = {name: format_param(value, words) for name, value in item.params}
        if item.state is ItemState.CHECK:  # the record cannot show it: collapsed into one line after the flags
            checks.append(words.check(item.key, **values))
        else:
            lines.append(words.checklist_line(item.state, words.check(item.key, **values)))
    if checks:
        lines += (
            ["", words.t("state.checks", items="; ".join(checks))]
            if len(lines) > 2
            else [words.t("state.checks", items="; ".join(checks))]
        )
    return "\n".join(lines)


def notes(a: Assessment, words: Words) -> str:
    """Returns notes on the data (preliminary or skipped results, mixed kinds, computed eGFR, unrecognised drugs)."""
    out = []
    p, m = a.proteinuria, a.measurements
    if p and p.preliminary_skipped:
        out.append(words.t("note.preliminary", day=words.day(p.preliminary_skipped)))
    if a.proteinuria_unit_skipped:
        out.append(words.t("note.unit-skipped"))
    if p and p.mixed_kinds:
        out.append(words.t("note.mixed"))
    if m and m.kidney.method is KidneyMethod.EGFR_COMPUTED:
        out.append(words.t("note.egfr-computed"))
    if m and m.kidney.under_18:
        out.append(words.t("note.under-18"))
    elif m and m.kidney.method is KidneyMethod.CREATININE and m.kidney.state is not KidneyState.NORMAL:
        out.append(words.t("note.creatinine-direct"))
    if m and m.kidney.state is KidneyState.UNJUDGED and m.kidney.baseline and m.kidney.current:
        out.append(
            words.t(
                "note.creatinine-unjudged",
                baseline=words.amount(m.kidney.baseline.value, 2),
                current=words.amount(m.kidney.current.value, 2),
            )
        )
    if m and m.kidney.normal_creatinine is not None and m.kidney.normal_limit is not None:
        c = m.kidney.normal_creatinine
        key = {
            NormalBy.LAB_RANGE: "note.creatinine-lab-range",
            NormalBy.ADULT_LIMIT_NO_SEX: "note.creatinine-normal-no-sex",
        }.get(m.kidney.normal_by or NormalBy.ADULT_LIMIT, "note.creatinine-normal")
        out.append(
            words.t(
                key,
                value=words.amount(c.value, 2),
                day=words.day(c.day),
                limit=words.amount(m.kidney.normal_limit, 2),
            )
        )
    if a.class_not_applicable:
        out.append(words.t("note.class-not-applicable", ln_class="+".join(a.classes)))
    out.extend(current_value_notes(a, words))
    if a.unresolved_medications:
        out.append(words.t("note.unresolved-medications", count=a.unresolved_medications))
    if a.other_patient_ignored:
        out.append(words.t("note.other-patient"))
    for day in a.conflicting_days:
        out.append(words.t("note.same-day-conflict", day=words.day(day)))
    return "\n".join([words.t("detail.notes"), "", *out]) if out else ""


def current_value_notes(a: Assessment, words: Words) -> list[str]:
    """Returns the notes on how current the proteinuria is (issue 10 §4, H-records): a baseline missing where the
    current value decided alone, a latest result that could not be read, and the age of an older current value."""
    p, m = a.proteinuria, a.measurements
    out = []
    if m is not None and m.kidney.unreadable_after is not None:
        out.append(words.t("note.unreadable.kidney", day=words.day(m.kidney.unreadable_after)))
    if m is not None and m.sediment.unreadable_after is not None:
        out.append(words.t("note.unreadable.sediment", day=words.day(m.sediment.unreadable_after)))
    today = a.today
    for key, reading, unread in (
        ("note.current-age.kidney", m.kidney.current if m else None, m.kidney.unreadable_after if m else None),
        ("note.current-age.sediment", m.sediment.rbc if m else None, m.sediment.unreadable_after if m else None),
    ):
        age = (today - reading.day).days if today and reading else None
        if reading is not None and unread is None and age is not None and age > CURRENT_AGE_NOTE_DAYS:
            out.append(words.t(key, age=age, day=words.day(reading.day)))
    if p is None or p.current is None:
        return out
    key = measure_key(p)
    measure, unit = words.measure(key), words.unit(key)
    if Missing.BASELINE in a.missing and a.verdict is not Verdict.CANNOT_ASSESS:
        start, end = p.baseline_window
        out.append(
            words.t(
                "note.baseline-missing-settled",
                start=words.day(start),
                end=words.day(end),
                measure=measure,
                current=reading_value(p.current, words),
                unit=unit,
                day=words.day(p.current.day),
            )
        )
    age = p.current_age_days
    if p.unreadable_after is not None:
        text = words.t("note.unreadable", measure=measure, day=words.day(p.unreadable_after))
        older = (p.unreadable_after - p.current.day).days
        out.append(text + words.t("note.unreadable.used", day=words.day(p.current.day), age=older))
    elif age is not None and age > CURRENT_AGE_NOTE_DAYS:
        out.append(words.t("note.current-age", measure=measure, age=age, day=words.day(p.current.day)))
    return out


def missing_list(a: Assessment, p: Proteinuria, words: Words) -> str:
    """Returns a bullet per missing measure, with the window and its dates."""
    lines = []
    for missing in a.missing:
        if missing is Missing.BASELINE:
            start, end = p.baseline_window
            text = words.t("missing.baseline", start=words.day(start), end=words.day(end))
        elif missing is Missing.CURRENT:
            start, end = p.current_window
            last = words.t("missing.current.last", day=words.day(p.last_decisive.day)) if p.last_decisive else ""
            text = words.t("missing.current", start=words.day(start), end=words.day(end), last=last)
            if p.unreadable_after is not None:
                text += "; " + words.t("missing.unreadable", day=words.day(p.unreadable_after))
        else:
            day = words.day(p.baseline.day) if p.baseline else ""
            text = words.t("missing.since-baseline", day=day)
        lines.append(f"- {cap(text)}")
    return "\n".join(lines)
