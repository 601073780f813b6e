"""Clinician-facing strings of the next-line therapy and supportive-care cards (English), merged into
`catalogue_en.EN`.

Kept apart from `catalogue_en.py` only for length; `words.Words` is the one way to read them, and a Spanish
catalogue will give the same keys. Each clinical phrase restates the source named in the matching
`knowledge/therapy_table.py` row.
"""

from __future__ import annotations

THERAPY_EN: dict[str, str] = {
    # --- options: name, short name (summaries), regimen as the review gives it, evidence detail -------------------
    "therapy.switch-to-mmf.name": "Switch to mycophenolate",
    "therapy.switch-to-mmf.short": "switch to mycophenolate",
    "therapy.switch-to-mmf.regimen": "Mycophenolate mofetil 2\u20133 g/day",
    "therapy.switch-to-mmf.evidence": "EULAR 2019: switch of induction regimens or rituximab",
    "therapy.switch-to-cyc.name": "Switch to cyclophosphamide",
    "therapy.switch-to-cyc.short": "switch to cyclophosphamide",
    "therapy.switch-to-cyc.regimen": "IV cyclophosphamide by the local protocol",
    "therapy.switch-to-cyc.evidence": "EULAR 2019: switch of induction regimens or rituximab",
    "therapy.rituximab.name": "Rituximab (\u00b1 belimumab, sequential)",
    "therapy.rituximab.short": "rituximab",
    "therapy.rituximab.regimen": "375 mg/m\u00b2 weekly \u00d74, or 1000 mg on days 1 and 15",
    "therapy.rituximab.evidence": "overall response 74% in refractory cases (Weidenbusch)",
    "therapy.belimumab-after-rituximab.name": "Belimumab after rituximab (sequential)",
    "therapy.belimumab-after-rituximab.short": "belimumab after rituximab",
    "therapy.belimumab-after-rituximab.regimen": (
        "Belimumab started after the rituximab course (no dose in Santacruz 2023)"
    ),
    "therapy.belimumab-after-rituximab.evidence": (
        "BEAT-Lupus, refractory SLE (n=52): fewer severe flares; CALIBRATE, LN: no efficacy gain"
    ),
    "therapy.anti-cd20-alternative.name": "Another anti-CD20 agent: obinutuzumab or ofatumumab",
    "therapy.anti-cd20-alternative.short": "obinutuzumab or ofatumumab",
    "therapy.anti-cd20-alternative.regimen": "No refractory-LN regimen in the sources",
    "therapy.anti-cd20-alternative.evidence": (
        "obinutuzumab trials were of initial therapy (REGENCY); ofatumumab: one case"
    ),
    "therapy.multitarget.name": "Multitarget therapy: tacrolimus + mycophenolate + glucocorticoids",
    "therapy.multitarget.short": "multitarget therapy",
    "therapy.multitarget.regimen": "Tacrolimus added to the mycophenolate",
    "therapy.multitarget.evidence": "Bao 2008, induction in class V+IV: complete response 50% vs 5% at 6 months",
    "therapy.cni.name": "Calcineurin inhibitor: tacrolimus or cyclosporine",
    "therapy.cni.short": "a calcineurin inhibitor",
    "therapy.cni.regimen": "Tacrolimus 2\u20133 mg/day, or cyclosporine 2.6\u20133.7 mg/kg/day",
    "therapy.cni.evidence": "tacrolimus after cyclophosphamide failure (n=26): 38.5% complete, 50% partial response",
    "therapy.voclosporin.name": "Voclosporin with mycophenolate",
    "therapy.voclosporin.short": "voclosporin",
    "therapy.voclosporin.regimen": "Voclosporin + mycophenolate mofetil + low-dose glucocorticoids",
    "therapy.voclosporin.evidence": "AURORA 1 (phase 3), as initial therapy",
    "therapy.msc.name": "Mesenchymal stem cell transplantation",
    "therapy.msc.short": "MSC transplantation",
    "therapy.msc.regimen": "Allogeneic cells",
    "therapy.msc.evidence": "pilot (n=15) and multicentre (n=40) studies in refractory SLE",
    "therapy.extracorporeal.name": "Extracorporeal therapy: immunoadsorption (preferred) or plasmapheresis",
    "therapy.extracorporeal.short": "immunoadsorption",
    "therapy.extracorporeal.regimen": "Immunoadsorption: fewer adverse events than plasmapheresis",
    "therapy.extracorporeal.evidence": "case reports and cohorts; the plasmapheresis RCT in severe LN was negative",
    "therapy.ivig.name": "Intravenous immunoglobulin",
    "therapy.ivig.short": "IV immunoglobulin",
    "therapy.ivig.regimen": "400 mg/kg for 5 days, 1\u20136 cycles; prolonged cycles raise costs steeply",
    "therapy.ivig.evidence": "7 patients after cyclophosphamide failure",
    # --- why this option for this patient ---------------------------------------------------------------------
    "why.switch-after-cyc": "no response to cyclophosphamide: switch (Santacruz 2023)",
    "why.switch-after-mmf": "no response to mycophenolate: switch (Santacruz 2023)",
    "why.rituximab-class-iii": "class III recorded: response to rituximab is best in class III",
    "why.rituximab": "a first alternative when mycophenolate or cyclophosphamide fail",
    "why.belimumab-early-relapse": (
        "no response within 12 months of rituximab: BAFF rises after rituximab and goes with early relapse"
    ),
    "why.belimumab": "rituximab already given: BAFF inhibition after B-cell depletion may act in synergy",
    "why.anti-cd20": "refractory after rituximab; whether other anti-CD20 agents do better is unknown",
    "why.cni-class-iv-v": "class IV/V recorded: better response in classes IV, V and IV+V",
    "why.cni": "an alternative after cyclophosphamide or mycophenolate fail",
    "why.voclosporin": "a newer calcineurin inhibitor named by the guideline in use, tested as initial therapy",
    "why.msc": "promising and safe in small studies; expert centre only",
    "why.extracorporeal-pregnancy": "pregnancy recorded: Santacruz 2023 name it for pregnant women with active disease",
    "why.extracorporeal-infection": (
        "active infection recorded: for patients who cannot have more immunosuppression, such as in severe infection"
    ),
    "why.extracorporeal-aps": "antiphospholipid syndrome recorded: Santacruz 2023 name it in APS",
    "why.ivig": "cyclophosphamide already tried: used in patients in whom cyclophosphamide failed",
    # --- evidence levels ----------------------------------------------------------------------------------------
    "evidence.guideline": "guideline recommendation",
    "evidence.meta-analysis": "meta-analysis of open-label studies",
    "evidence.rct-other-setting": "randomised trial outside refractory LN",
    "evidence.cohort": "cohort and small open-label series",
    "evidence.uncontrolled": "uncontrolled studies (weak)",
    "evidence.observational": "observational studies (weak)",
    "evidence.case-series": "case series (weak)",
    # --- the next-line card -------------------------------------------------------------------------------------
    "summary.therapy": "Refractory lupus nephritis \u2014 next-line options: 1. {first}, and {more} more in order",
    "summary.therapy.one": "Refractory lupus nephritis \u2014 next-line option: {first}",
    "summary.therapy.none": (
        "Refractory lupus nephritis \u2014 no further option in the table: consider an expert centre"
    ),
    "therapy.head": (
        "**Next-line options** for lupus nephritis refractory to {agents} (not offered again), in evidence order:"
    ),
    # The study behind each option is in the card's links; the line names only the evidence level (length budget).
    "therapy.line": "{n}. **{name}** \u2014 {why}. {regimen}. _Evidence: {level}._",
    "therapy.none": (
        "No option in the table fits beyond those already given: EULAR 2025 advises referral to experts for "
        "persistently active disease."
    ),
    "therapy.withheld": "Not offered because pregnancy is recorded (mycophenolate or cyclophosphamide): {options}.",
    "therapy.cautions": "**Cautions**",
    "therapy.biopsy": (
        "**Repeat kidney biopsy** before choosing: {reasons}; Santacruz 2023 repeat it when the response is not "
        "clear and the result would change therapy."
    ),
    "therapy.biopsy.attached": "A draft biopsy order is attached.",
    "therapy.biopsy.pregnancy": (
        "Pregnancy recorded: weigh the biopsy's risk with obstetric care; no draft order is attached."
    ),
    "therapy.urinalysis": "**Urinalysis with sediment** first: no sediment result in the last 90 days.",
    "therapy.level": "A draft order for a {agent} trough level is attached.",
    "therapy.order": "Order: the hierarchy of Santacruz et al. 2023 (Table 2){guidelines}. Criteria: {set}.",
    "therapy.guidelines": "; also {guidelines}",
    "guideline.kdigo-ln-2024": "KDIGO 2024",
    "guideline.eular-ln-2019": "EULAR/ERA-EDTA 2019",
    "guideline.eular-ln-2025": "EULAR 2025",
    "guideline.eular-sle-2023": "EULAR 2023 (for therapy only)",
    "biopsy.chronic-damage": "chronic damage is suspected (see the review checklist)",
    "biopsy.unclear-response": "the response is unclear (casts not typed, or a censored result)",
    "biopsy.class-change": "the recorded ISN/RPS class has changed",
    "caution.infection": (
        "**Active infection recorded:** {options} would intensify immunosuppression: extracorporeal therapy "
        "comes first (Santacruz 2023)."
    ),
    "caution.pregnancy-teratogen-active": (
        "**Pregnancy recorded while {agents} is active:** mycophenolate and cyclophosphamide are teratogenic."
    ),
    "caution.pregnancy-other": (
        "**Pregnancy:** this service has not assessed the other options' safety in pregnancy; check each agent."
    ),
    "caution.cni-active": (
        "**Calcineurin inhibitor active ({agents}):** monitor drug levels, creatinine, blood pressure and glucose; "
        "watch for nephrotoxicity and thrombotic microangiopathy (haemolytic uraemic syndrome)."
    ),
    "caution.cni-options": (
        "**Calcineurin inhibitors ({options}):** monitor levels, creatinine, blood pressure and glucose "
        "(nephrotoxicity, thrombotic microangiopathy); their antiproteinuric effect can mimic a response."
    ),
    "caution.cni-egfr-low": (
        "**eGFR {egfr} on {day}**, at or below {limit}: calcineurin inhibitors can cause acute kidney injury or "
        "chronic nephrotoxicity; KDIGO 2024 adds one to mycophenolate only above {limit}, so they are not favoured."
    ),
    "caution.cni-egfr-low-undecided": (
        "**eGFR {egfr} on {day}**, which may be at or below {limit}: calcineurin inhibitors can cause acute kidney "
        "injury or chronic nephrotoxicity; KDIGO 2024 adds one to mycophenolate only above {limit}, so they are "
        "not favoured."
    ),
    "caution.cni-tma": (
        "**Thrombotic microangiopathy recorded:** calcineurin inhibitors can cause it, so they are not favoured."
    ),
    "caution.cni-egfr-falling": (
        "**Kidney function falling** ({change} from baseline): a calcineurin inhibitor needs particular caution."
    ),
    "source.therapy": "Therapy order: Santacruz 2023; criteria: {set}",
    "link.order": "Order: {label}",
    "link.option": "{options}: {label}",
    "options.one": "option {numbers}",
    "options.many": "options {numbers}",
    # --- suggestions (draft ServiceRequests) --------------------------------------------------------------------
    "suggest.biopsy": "Repeat kidney biopsy (draft order)",
    "action.biopsy": "Create a draft order for a repeat kidney biopsy",
    "order.biopsy.text": "Repeat kidney biopsy",
    "order.biopsy.reason": "Refractory lupus nephritis: {reasons}",
    "suggest.level": "{agent} trough level (draft order)",
    "action.level": "Create a draft order for a {agent} trough level in whole blood",
    "order.level.text": "{agent} trough level, whole blood",
    "order.level.reason": "Calcineurin-inhibitor monitoring in lupus nephritis",
    "order.level.note": "Trough level: draw just before the next dose.",
    # --- the supportive-care card -------------------------------------------------------------------------------
    "summary.supportive": "Lupus nephritis: supportive care not in the record \u2014 {items}",
    "supportive.item.raas": "RAAS blocker",
    "supportive.item.hcq": "hydroxychloroquine",
    "supportive.head": "Supportive measures for every patient with lupus nephritis (Santacruz 2023):",
    "supportive.raas": (
        "- **Not recorded:** a RAAS blocker (ACE inhibitor or ARB) while proteinuric: {measure} {value} {unit} "
        "on {day}, at or above {ceiling} {unit}."
    ),
    "supportive.hcq": "- **Not recorded:** hydroxychloroquine (an antimalarial), unless contraindicated.",
    "supportive.raas-held": (
        "- **Not suggested while pregnancy is recorded:** a RAAS blocker (ACE inhibitor or ARB), although "
        "proteinuric ({measure} {value} {unit} on {day}, at or above {ceiling} {unit}); ACE inhibitors and ARBs "
        "are avoided in pregnancy: review with obstetric and nephrology care."
    ),
    "supportive.checks": (
        "- Check: blood pressure control, dietary sodium and protein restriction, and treatment of dyslipidaemia "
        "(not read by this service)."
    ),
    "source.supportive": "Supportive measures: Santacruz 2023; criteria: {set}",
    "override.contraindicated": "Contraindicated for this patient",
    "override.recorded-elsewhere": "In place, but not in this record",
    # --- safety (issue 10 section 5, H-safety block) -------------------------------------------------------------
    "summary.safety.teratogen": "Teratogen active in pregnancy: {agents} \u2014 review now with obstetric care",
    "summary.safety.teratogen-short": (
        "Pregnancy recorded while a teratogen (mycophenolate or cyclophosphamide) is active \u2014 review now"
    ),
    "summary.safety.raas": (
        "Pregnancy recorded while a RAAS blocker is active \u2014 review with obstetric and nephrology care"
    ),
    "safety.teratogen": (
        "- **{agents}** is active while pregnancy is recorded: mycophenolate and cyclophosphamide are teratogenic "
        "and are not offered in pregnancy."
    ),
    "safety.raas": (
        "- **RAAS blocker** (ACE inhibitor or ARB) active while pregnancy is recorded: ACE inhibitors and ARBs are "
        "avoided in pregnancy."
    ),
    "safety.action": (
        "Review with obstetric and nephrology care now. Shown whatever the response status; no dose advice is given."
    ),
    "source.safety": "Drug safety in pregnancy (lupus nephritis service)",
}
