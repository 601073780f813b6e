"""The English catalogue: every clinician-facing string of the lupus-nephritis-response service, as named templates.

Read only through `words.Words`, which a render binds once to the request's locale. This dict is the source
language: `make i18n` writes it to `locale/messages.pot` (msgctxt = key, msgid = this text) and merges that into
each translation (`locale/es/LC_MESSAGES/messages.po`), where a changed English text turns its translation fuzzy;
`tests/hooks/lupus_nephritis_response/cards/test_words.py` checks that every enum value and table id has its
entries, and test_translations.py that every key is translated. Values are formatted before they reach
a template (`words.fmt_*`). Citation labels are bibliographic and stay in `knowledge/citations.py`.
"""

from __future__ import annotations

from hooks.lupus_nephritis_response.cards.catalogue_therapy_en import THERAPY_EN

EN: dict[str, str] = {
    # --- service (discovery) -------------------------------------------------------------------------------------
    "service.title": "Lupus nephritis treatment response",
    "service.description": (
        "For patients with lupus nephritis on induction therapy: classifies the response to the current treatment "
        "line from proteinuria, kidney function and urinary sediment, and suggests a refractoriness review (with "
        "the checks that come first) when the site's chosen criteria set (default: EULAR/ERA-EDTA 2012 as quoted "
        "in Santacruz 2023; also KDIGO 2024, EULAR 2025, EULAR/ERA-EDTA 2019, ACR 2012) calls the line refractory, "
        "with the next-line therapy options in evidence order; notes missing supportive care."
    ),
    "service.usage": (
        "Needs the patient's Conditions, proteinuria, creatinine/eGFR and urinary sediment Observations, "
        "MedicationRequests and MedicationAdministrations; the criteria set is a site setting."
    ),
    # --- criteria sets -------------------------------------------------------------------------------------------
    "set.seed-eular-era-edta-2012": "EULAR/ERA-EDTA 2012 as quoted in Santacruz 2023",
    "set.kdigo-2024": "KDIGO 2024",
    "set.eular-2025": "EULAR 2025 milestones",
    "set.acr-2012": "ACR 2012 as quoted in Santacruz 2023",
    "set.eular-2019": "EULAR/ERA-EDTA 2019 milestones",
    # --- agents --------------------------------------------------------------------------------------------------
    "agent.cyclophosphamide": "cyclophosphamide",
    "agent.mycophenolate-mofetil": "mycophenolate mofetil",
    "agent.mycophenolic-acid": "mycophenolic acid",
    "agent.rituximab": "rituximab",
    "agent.obinutuzumab": "obinutuzumab",
    "agent.ofatumumab": "ofatumumab",
    "agent.belimumab": "belimumab",
    "agent.tacrolimus": "tacrolimus",
    "agent.cyclosporine": "cyclosporine",
    "agent.voclosporin": "voclosporin",
    "agent.anifrolumab": "anifrolumab",
    "agent.immune-globulin": "IV immunoglobulin",
    "agent.azathioprine": "azathioprine",
    "agent.leflunomide": "leflunomide",
    "agent.hydroxychloroquine": "hydroxychloroquine",
    "agent.glucocorticoid": "glucocorticoid",
    "agent.raas-blocker": "RAAS blocker",
    "agent.sglt2-inhibitor": "SGLT2 inhibitor",
    "agents.combined": "{first} + {second}",
    "agents.sequence": "{earlier} then {current}",
    "agents.fallback": "the current line",
    # --- numbers, dates, units -----------------------------------------------------------------------------------
    "months.less": "less than 1 month",
    "months.one": "1 month",
    "months.many": "{n} months",
    "measure.upcr": "UPCR",
    "measure.protein-24h": "24-h protein",
    "measure.mixed": "proteinuria",
    "unit.upcr": "g/g",
    "unit.protein-24h": "g/day",
    "unit.mixed": "g/g or g/day",
    "list.and": "{head} and {last}",
    "list.sep": ", ",
    # --- response classes ----------------------------------------------------------------------------------------
    "level.3": "complete response",
    "level.2": "partial response",
    "level.1": "improvement",
    "level.0": "no response yet",
    "level.no-result": "no result since baseline",
    "level.provisional": "{level} by proteinuria",
    "unassessed.kidney": "kidney function",
    "unassessed.sediment": "sediment",
    # censored results ("< 0.10 g/g"): judged as bounds; one that does not decide a class is named in the card
    "level.censored": "{level} undecided ({reported})",
    "censored.upcr": "UPCR reported as {value} g/g",
    "censored.protein-24h": "24-h protein reported as {value} g/day",
    "censored.egfr": "eGFR reported as {value} mL/min/1.73 m²",
    "censored.creatinine": "creatinine reported as {value} mg/dL",
    "censored.urine-rbc": "RBC reported as {value}/HPF",
    "censored.cellular-casts": "cellular casts reported as {value}/LPF",
    "censored.casts-untyped": "casts reported as {value}/LPF",
    "censored.with": "{what} ({reported})",
    "kidney-state.censored": "not assessed: a censored value does not decide it",
    "sediment-state.censored": "unknown: a censored count does not decide it",
    # --- refractory criteria (summary phrases) and their targets -------------------------------------------------
    "criterion.no-improvement": "no improvement",
    "criterion.no-partial": "partial response not reached",
    "criterion.no-complete": "complete response not reached",
    "criterion.no-response": "no partial or complete response",
    "met.milestone-3": "3-month milestone met",
    "met.milestone-6": "6-month milestone met",
    "met.milestone-12": "12-month milestone met",
    "criterion.milestone-3": "3-month milestone not reached",
    "criterion.milestone-6": "6-month milestone not reached",
    "criterion.milestone-12": "12-month milestone not reached",
    "target.no-improvement": "Improvement",
    "target.no-partial": "A partial response",
    "target.no-complete": "A complete response",
    "target.no-response": "A partial response",
    "target.milestone-3": "The 3-month milestone",
    "target.milestone-6": "The 6-month milestone",
    "target.milestone-12": "The 12-month milestone",
    "need.fall-strict": "a fall in proteinuria of more than {pct}",
    "need.fall": "a fall in proteinuria of at least {pct}",
    "need.below": "proteinuria below {value} {unit}",
    "need.kidney": "kidney function within {pct} of baseline (or a normal creatinine)",
    "need.sediment": "an inactive sediment",
    "window.range": "target {start}\u2013{end} months",
    "window.from": "target {start} months",
    # --- summaries (each must stay under 140 characters) ---------------------------------------------------------
    "summary.refractory": "Lupus nephritis: {criterion} after {months} of {agents} — review",
    "summary.watch": "Lupus nephritis: {criterion} after {months} of {agents} — watch; review at {review} months",
    "summary.status": "Lupus nephritis: {response} after {months} of {agents} ({figures})",
    "summary.status.short": "Lupus nephritis: {response} after {months} of {agents}",
    "summary.cannot-assess": "Lupus nephritis response: cannot assess — {what}",
    "figures": "{measure} {baseline} → {current} {unit}, {change}",
    "figures.no-change": "{measure} {baseline} → {current} {unit}",
    "missing-short.baseline": "no baseline proteinuria",
    "missing-short.current": "no proteinuria result in the last 90 days",
    "missing-short.both": "no baseline or recent proteinuria",
    "missing-short.since-baseline": "no proteinuria result since the baseline",
    "unrecognised-short": "{orders} not identified",
    "orders.one": "{count} medication order",
    "orders.many": "{count} medication orders",
    # --- card details (GitHub Markdown) --------------------------------------------------------------------------
    "detail.refractory.head": "**{criterion}** at {months} of {agents} ({window}).",
    "detail.needs": "{target} needs {requirements}.",
    "detail.figures": "{measure}: {baseline} on {baseline_day} → {current} on {current_day} ({change}).",
    "detail.figures.no-change": "{measure}: {baseline} on {baseline_day} → {current} on {current_day}.",
    "detail.also": "Also missed: {criteria}.",
    "detail.line": "Current line since {t0}: {agents}.",
    "detail.failed": "Earlier agents without a partial response: {agents}.",
    "detail.class": "ISN/RPS class: {ln_class}.",
    "detail.class-not-recorded": "ISN/RPS class not recorded.",
    "detail.criteria": "Criteria: {set}.",
    "detail.checklist": "**Before calling it refractory**",
    "detail.notes": "**Notes on the data**",
    "detail.status.head": "**{response}** after {months} of {agents}.",
    "detail.provisional": "{unassessed} not assessed: the {level} is by proteinuria only; no refractory call is made.",
    "detail.next": "Next time point: {months} months. {needs}",
    "detail.next.none": "No further time point in this criteria set.",
    "detail.watch": "**Watch:** {criterion} at {months} ({window}). {set} waits until {review} months before a change.",
    "detail.cannot.head": "The response to {agents} (line since {t0}, {months}) cannot be assessed:",
    "detail.cannot.action": "A final urine protein/creatinine ratio (or 24-h protein) now would allow the assessment.",
    "detail.cannot.line": (
        "The response to treatment cannot be assessed: no induction or later-line agent was recognised as active "
        "today, and {orders} could not be identified (no RxNorm code and no known ingredient name), so the "
        "treatment line and its start could not be determined."
    ),
    "detail.cannot.line.action": (
        "Check the medication list: an order for the current agent with an RxNorm code or its ingredient name "
        "would allow the assessment."
    ),
    "missing.baseline": "no baseline proteinuria (UPCR or 24-h urine protein) between {start} and {end}",
    "missing.current": "no final proteinuria result between {start} and {end} (the last 90 days){last}",
    "missing.current.last": "; the last was on {day}",
    "missing.since-baseline": "no proteinuria result after the baseline of {day}",
    "table.head": "| Measure | Baseline | Current | Status |\n|---|---|---|---|",
    "table.row": "| {measure} | {baseline} | {current} | {status} |",
    "table.value": "{value} ({day})",
    "table.none": "—",
    "table.proteinuria": "Proteinuria ({measure}, {unit})",
    "table.sediment": "Urinary sediment",
    "kidney.egfr-reported": "eGFR (mL/min/1.73 m²)",
    "kidney.egfr-computed": "eGFR, computed (mL/min/1.73 m²)",
    "kidney.creatinine": "Creatinine (mg/dL)",
    "kidney.none": "Kidney function",
    "kidney-state.normal": "normal (lab flag on creatinine)",
    "kidney-state.stable": "stable ({change})",
    "kidney-state.worse": "beyond the {pct} tolerance ({change})",
    "kidney-state.unknown": "not assessed: no baseline and recent result",
    "sediment.rbc": "RBC {value}/HPF",
    "sediment.rbc-flagged": "RBC {value}/HPF, flagged abnormal",
    "sediment.casts": "cellular casts {value}/LPF",
    "sediment.untyped": "casts of unreported type {value}/LPF",
    "sediment.sep": "; ",
    "sediment-state.active": "active",
    "sediment-state.inactive": "inactive",
    "sediment-state.untyped-casts": "casts present, type not reported",
    "sediment-state.unknown": "unknown: not measured in the last 90 days",
    # --- review checklist ----------------------------------------------------------------------------------------
    "state.flagged": "- **Flagged:** {text}",
    "state.not-recorded": "- **Not recorded:** {text}",
    "state.check": "- Check: {text}",
    "state.checks": "Also check: {items}.",
    "check.adherence-gap": "Possible interruption of {agent}: no active order from {start} to {end}; check adherence",
    "check.adherence-interrupted": "An order for {agent} was stopped or put on hold during the course; check adherence",
    "check.adherence": "adherence (true resistance is rare)",
    "check.dose-below-target": (
        "Dose below target: {agent} {dose} mg/day, under {target} mg/day (MMF target 2\u20133 g/day)"
    ),
    "check.dose-not-recorded": "Dose of {agent} not recorded",
    "check.dose": "dose and duration",
    "check.chronic-damage-low-egfr": (
        "eGFR {egfr} on {day}: proteinuria may reflect chronic damage; consider repeat biopsy"
    ),
    "check.chronic-damage-falling": (
        "Kidney function {change}, beyond the {tolerance} tolerance, with an inactive sediment: proteinuria may "
        "reflect chronic damage; consider repeat biopsy"
    ),
    "check.chronic-damage": "chronic damage",
    "check.tma": "Thrombotic microangiopathy recorded: needs different treatment; exclude before judging response",
    "check.tma-check": "thrombotic microangiopathy",
    "check.aps": "Antiphospholipid syndrome recorded: consider APS nephropathy, which needs different treatment",
    "check.aps-check": "antiphospholipid nephropathy",
    "check.pregnancy": "Pregnancy recorded: mycophenolate and cyclophosphamide are teratogenic and not offered",
    "check.pregnancy-check": "pregnancy",
    "check.infection": "Active infection recorded",
    "check.infection-check": "serious infection",
    "check.class-v": (
        "Class {ln_class}: persistent proteinuria may reflect membranous disease; calcineurin inhibitors are "
        "favoured in classes IV/V"
    ),
    "check.class-v-check": "transition to class V",
    "check.matched-by-name": "The {agent} order was recognised by its name only, not by a code: check the order",
    "check.no-raas": "No RAAS blocker active while proteinuric ({value} {unit} on {day})",
    "check.raas-held-in-pregnancy": (
        "No RAAS blocker active while proteinuric ({value} {unit} on {day}): not suggested while pregnancy is "
        "recorded (ACE inhibitors and ARBs are avoided in pregnancy); review with obstetric and nephrology care"
    ),
    "check.no-hcq": "No hydroxychloroquine active",
    "check.supportive": "blood pressure, salt, protein and lipids",
    # --- notes on the data ---------------------------------------------------------------------------------------
    "note.preliminary": "- Preliminary result of {day} not used.",
    "note.unit-skipped": "- Some proteinuria results were skipped: their unit could not be converted.",
    "note.mixed": (
        "- Baseline and current proteinuria are of different kinds (UPCR and 24-h protein): spot UPCR in g/g is "
        "taken as equivalent to g/day."
    ),
    "note.egfr-computed": "- eGFR computed from creatinine with CKD-EPI 2021 (age and sex from the record).",
    "note.creatinine-direct": "- No usable age or sex in the record: creatinine compared directly.",
    "note.under-18": (
        "- Under 18: CKD-EPI 2021 and adult creatinine limits do not apply; creatinine is compared with its "
        "baseline unless the laboratory flags it normal or sends its range."
    ),
    "note.creatinine-normal": (
        "- Creatinine {value} mg/dL on {day} is within the adult upper limit for sex ({limit} mg/dL, Pottel 2008): "
        "kidney function counts as normal whatever its change."
    ),
    "note.unresolved-medications": (
        "- {count} medication order(s) could not be identified (no RxNorm code and no known ingredient name): "
        "the treatment line above may be incomplete."
    ),
    "note.class-not-applicable": "- Class {ln_class}: the refractory criteria apply to classes III, IV and V.",
    # --- notes on the data: results as laboratories send them (issue 10 §4, H-records) ------------------------------
    "note.baseline-missing-settled": (
        "- No baseline proteinuria between {start} and {end}: the fall from baseline is not assessed; the current "
        "values ({measure} {current} {unit} on {day}) decide without it."
    ),
    "note.unreadable": "- The latest {measure}, on {day}, could not be read (no readable number or unit).",
    "note.unreadable.used": " The value used is from {day}, {age} days older.",
    "note.current-age": "- The current {measure} is {age} days old ({day}).",
    "note.current-age.kidney": "- The current kidney function value is {age} days old ({day}).",
    "note.current-age.sediment": "- The current sediment count is {age} days old ({day}).",
    "note.unreadable.kidney": (
        "- The latest eGFR or creatinine, on {day}, could not be read (no readable number or unit)."
    ),
    "note.unreadable.sediment": (
        "- The latest urine sediment count, on {day}, could not be read (no readable number or unit)."
    ),
    "missing.unreadable": "the latest result, on {day}, could not be read (no readable number or unit)",
    # --- treatment lines as they are recorded (issue 10 section 2: T0, pulse courses, relapse, order dates) -----
    "agents.course-ended": "{agents} (course ended {day})",
    "agents.with-course": "{current} + a {earlier} course",
    "summary.relapse.reinduced": "Lupus nephritis relapse, re-induced: {response} after {months} of {agents}",
    "summary.refractory.reinduced": "Lupus nephritis relapse: {criterion} after {months} of re-induction — review",
    "line.t0.intensified": (
        "{agents} was given from {first}, before lupus nephritis was diagnosed on {diagnosed}: the induction line "
        "starts at its dose increase on {t0}."
    ),
    "line.t0.diagnosis": (
        "{agents} was given from {first}, before lupus nephritis was diagnosed: with no dose increase recorded, the "
        "induction line starts at the diagnosis on {t0}."
    ),
    "line.course-ended": (
        "The course ended with its last dose on {day}; it is judged as the current line until another line agent "
        "is started."
    ),
    "line.planned-maintenance": "{agents} followed the {induction} course as planned maintenance: one line, one clock.",
    "line.relapse": (
        "Relapse: {level} reached on {reached}, lost on {lost}. A relapse is not refractoriness; this line is judged "
        "from the re-induction on {t0}."
    ),
    "summary.relapse": (
        "Lupus nephritis relapse: {level} (last seen {reached}) lost on {lost} — no re-induction recorded"
    ),
    "summary.relapse.short": "Lupus nephritis relapse after {level} — no re-induction recorded",
    "detail.relapse.head": (
        "**Relapse**: {level} on {agents}, last seen on {reached}, was lost on {lost}. A relapse is not "
        "refractoriness: the response is judged again from a re-induction, and none is recorded since."
    ),
    "detail.relapse.figures": "Proteinuria at the response: {reached}; at the relapse: {lost}.",
    "missing-short.order-dates": "an order without usable dates",
    "missing.order-dates": "the dates of a treatment order are not recorded",
    "summary.cannot-assess.order-dates": (
        "Lupus nephritis response: cannot assess — {agents} order without usable dates"
    ),
    "detail.cannot.order-dates": (
        "The response to treatment cannot be assessed: the dates of the {agents} order are not known (no start "
        "date, or stopped on an unrecorded date), so the treatment line and its start cannot be placed."
    ),
    "detail.cannot.order-dates.action": "Record the start and stop dates of the {agents} order.",
    # --- review fixes: kidney function and wording (issue 10 §7, findings C7, E11-E14) ----------------------
    "kidney-state.unjudged": "cannot be judged against age norms ({change})",
    "kidney-state.normal.limit": "normal (creatinine within the reference limit)",
    "kidney-state.unknown.baseline": "not assessed: no baseline",
    "note.creatinine-lab-range": (
        "- Creatinine {value} mg/dL on {day} is within the laboratory's own reference range (upper limit "
        "{limit} mg/dL): kidney function counts as normal whatever its change."
    ),
    "note.creatinine-normal-no-sex": (
        "- Creatinine {value} mg/dL on {day} is within the adult upper limit for women ({limit} mg/dL, Pottel "
        "2008; no sex recorded, so the lower limit): kidney function counts as normal whatever its change."
    ),
    "note.creatinine-unjudged": (
        "- Creatinine rose from {baseline} to {current} mg/dL, still within adult limits: no verified norm for "
        "age is available, so kidney function cannot be judged and the response is decided on the other criteria."
    ),
    "summary.refractory.kidney": "Lupus nephritis: {criterion} after {months} of {agents}, by kidney function — review",
    "missing-short.current-unreadable": "latest proteinuria result unreadable",
    "detail.kidney-reason": ("Proteinuria met the target: kidney function is why the response was missed."),
    # --- cards ---------------------------------------------------------------------------------------------------
    "source.label": "Response criteria: {set}",
    "override.specialist-review": "Already under specialist review",
    "override.patient-declined": "Patient declined",
    "override.not-refractory": "Not refractory in my judgement",
    "override.data-incomplete": "Data in the record are incomplete",
    # --- issue 10 review fixes: safety (only this patient's data) ---------------------------------------------------
    "note.other-patient": (
        "- Resources of another patient were sent with this record and were ignored; check the EHR's data feed."
    ),
    "note.same-day-conflict": (
        "- **Conflicting results on {day}**: two final proteinuria results of that day disagree and neither is "
        "marked as a correction; the later one is used. Check which is right before acting on this card."
    ),
    # --- chart (issue 15, cards/chart.py): the course chart's labels and its text description ----------------------
    "chart.title": "Proteinuria and kidney function chart",
    "chart.link": "Proteinuria and kidney function chart",
    "chart.alt": "Course chart",
    "chart.axis.time": "Date",
    "chart.axis.proteinuria": "UPCR (g/g)",
    "chart.axis.egfr": "eGFR (mL/min/1.73 m²)",
    "chart.axis.creatinine": "Creatinine (mg/dL)",
    "chart.legend.proteinuria": "UPCR or 24-h protein (g/g, g/day)",
    "chart.ref.baseline": "baseline {value} {unit}",
    "chart.ref.partial": "partial response < {value} {unit}",
    "chart.ref.complete": "complete response < {value} {unit}",
    "chart.level.3": "CR",
    "chart.level.2": "PR",
    "chart.level.1": "improved",
    "chart.level.0": "no response",
    "chart.level.none-yet": "no result",
    "chart.assessment": "{months} mo: {level}",
    "chart.relapse": "relapse {day}",
    "chart.now": "today ({months} mo): {level}",
    "chart.therapy": "Treatment as recorded",
    "chart.desc.proteinuria": "{count} proteinuria values, from {first} on {first_day} to {last} on {last_day}",
    "chart.desc.kidney": "{what} from {first} to {last} on {last_day}",
    "chart.desc.therapy": "Treatment: {agents}",
}
# The next-line therapy and supportive-care strings live in catalogue_therapy_en.py; a key may be defined once only.
if EN.keys() & THERAPY_EN.keys():
    raise RuntimeError(f"text keys defined twice: {sorted(EN.keys() & THERAPY_EN.keys())}")
EN.update(THERAPY_EN)
