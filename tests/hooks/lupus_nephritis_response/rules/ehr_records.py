"""Random patient records written the way EHRs send them, for differential tests of the 'as of a day' picks.

Not the project's stories: Observations with valueString and comparators ("<0.1", ">3", "10-20", "TNTC", "see
comment"), corrected and amended versions of one result (same identifier re-sent, a specimen named or not),
entered-in-error and cancelled ones, preliminary then final, several results on one day at different times,
effectiveDateTime with mixed UTC offsets around midnight (+14:00, -12:00, +05:30), date-only dates, effectivePeriod
only, issued only, partial dates; UPCR in g/g, mg/g and mg/mmol, 24-h protein in g/d and mg/d, creatinine in mg/dL
and umol/L (also spelt with the micro sign) with or without a reported eGFR, results on T0 and on the baseline
window's edges, results after today, and proteinuria that falls then rises again (response reached, then lost).

All synthetic: ids like "ehr-7-o12", no names. `record(rng, today)` returns the prefetch a CDS client would send;
`resources(prefetch)` the flat list `fhir_maps.map_patient_data` reads.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from fhir_maps import codes
from fhir_maps.domain import LnClass

Resource = dict[str, Any]

KEYS = (
    "patient",
    "conditions",
    "pregnancy",
    "infections",
    "proteinuria",
    "kidneyFunction",
    "sediment",
    "medications",
    "administrations",
)
MMF = ("200060", "mycophenolate mofetil 500 MG Oral Tablet")
TAC = ("198377", "tacrolimus 1 MG Oral Capsule")
LN_CLASS_IV = codes.LN_CLASS_SNOMED[LnClass.IV]

# (LOINC, prefetch key, units as labs write them, typical values in that unit (low, high))
UPCR_G = ("2890-2", "proteinuria", ("g/g", "mg/mg"), (0.05, 6.0))
UPCR_MG_G = ("2890-2", "proteinuria", ("mg/g", "mg/g creat", "mg/g{creat}"), (50, 6000))
UPCR_MG_MMOL = ("34366-5", "proteinuria", ("mg/mmol", "mg/mmol{creat}"), (5, 600))
UPCR_24H_SAMPLE = ("13801-6", "proteinuria", ("g/g",), (0.05, 6.0))
PROT_24H_G = ("2889-4", "proteinuria", ("g/(24.h)", "g/d", "g/24h"), (0.05, 8.0))
PROT_24H_MG = ("2889-4", "proteinuria", ("mg/(24.h)", "mg/d", "mg/24 HR"), (50, 8000))
CREAT_MG = ("2160-0", "kidneyFunction", ("mg/dL",), (0.5, 3.0))
CREAT_UMOL = ("14682-9", "kidneyFunction", ("umol/L", "\u00b5mol/L", "\u03bcmol/L"), (45, 260))
EGFR = ("98979-8", "kidneyFunction", ("mL/min/{1.73_m2}", "mL/min/1.73m2"), (15, 120))
EGFR_MDRD = ("33914-3", "kidneyFunction", ("mL/min/{1.73_m2}",), (15, 120))
RBC = ("13945-1", "sediment", ("/[HPF]", "/HPF", "RBC/HPF"), (0, 60))
CELL_CASTS = ("5807-3", "sediment", ("/[LPF]", "/LPF"), (0, 5))
UNTYPED_CASTS = ("9842-6", "sediment", ("/[LPF]",), (0, 5))
KINDS = (
    UPCR_G,
    UPCR_MG_G,
    UPCR_MG_MMOL,
    UPCR_24H_SAMPLE,
    PROT_24H_G,
    PROT_24H_MG,
    CREAT_MG,
    CREAT_UMOL,
    EGFR,
    EGFR_MDRD,
    RBC,
    CELL_CASTS,
    UNTYPED_CASTS,
)
OFFSETS = ("Z", "+00:00", "+14:00", "-12:00", "+05:30", "-03:00", "+09:00", "-10:00")
STATUSES = ("final",) * 6 + ("amended", "corrected", "preliminary", "preliminary", "registered", "entered-in-error")


def _number(rng: random.Random, low: float, high: float) -> float:
    value = rng.uniform(low, high)
    return round(value, rng.choice((0, 1, 2))) if high > 20 else round(value, rng.choice((1, 2, 3)))


def _time(rng: random.Random, day: date) -> Resource:
    """The effective time of a result on `day`, in one of the forms EHRs use."""
    hour = rng.choice((0, 0, 1, 7, 8, 12, 22, 23, 23))
    minute = rng.choice((0, 5, 30, 59))
    offset = rng.choice(OFFSETS)
    stamp = f"{day.isoformat()}T{hour:02d}:{minute:02d}:{rng.choice((0, 30)):02d}{offset}"
    form = rng.random()
    if form < 0.55:
        return {"effectiveDateTime": stamp}
    if form < 0.7:
        return {"effectiveDateTime": day.isoformat()}  # date only: 00:00 UTC
    if form < 0.8:
        period: Resource = {"start": stamp}
        if rng.random() < 0.5:
            period["end"] = f"{(day + timedelta(days=1)).isoformat()}T08:00:00Z"  # a 24-h collection
        return {"effectivePeriod": period}
    if form < 0.9:
        return {"issued": stamp}  # no effective time at all: issued stands in
    if form < 0.95:
        return {"effectiveDateTime": stamp[:19]}  # no offset: taken as UTC
    return {"effectiveDateTime": day.isoformat()[:7]}  # partial date: skipped ("no time")


def _value(rng: random.Random, kind: tuple[str, str, tuple[str, ...], tuple[float, float]]) -> Resource:
    _, _, units, (low, high) = kind
    unit = rng.choice(units)
    number = _number(rng, low, high)
    form = rng.random()
    if form < 0.6:
        quantity: Resource = {"value": number, "unit": unit}
        if rng.random() < 0.7:
            quantity.update({"system": codes.UCUM, "code": unit})
        if rng.random() < 0.15:
            quantity["comparator"] = rng.choice(("<", "<=", ">", ">="))
        return {"valueQuantity": quantity}
    if form < 0.72:
        return {"valueString": f"{rng.choice(('<', '>', '<=', '>=', '< ', '> '))}{number}"}
    if form < 0.8:
        return {"valueString": f"{number} {unit}"}
    if form < 0.85:
        top = _number(rng, low, high)
        a, b = sorted((number, top))
        return {"valueString": f"{a:g}-{b:g}"}
    if form < 0.9:
        return {"valueString": rng.choice(("TNTC", "see comment", "hemolysed", "2,1", "pending"))}
    if form < 0.95:
        return {"valueString": f"{number}"}  # no unit: read only where the concept implies one
    return {}  # no value at all


def record(rng: random.Random, today: date, pid: str) -> dict[str, Any]:
    """Returns a prefetch (key -> resource or searchset Bundle) for one random patient."""
    n = 0

    def rid(prefix: str) -> str:
        nonlocal n
        n += 1
        return f"{pid}-{prefix}{n}"

    t0 = today - timedelta(days=rng.randint(20, 700))
    out: dict[str, list[Resource]] = {k: [] for k in KEYS}
    birth = rng.choice(
        (
            "1990-05-10",
            "1975-12-31",
            (today - timedelta(days=18 * 365 + rng.randint(-200, 200))).isoformat(),  # turns 18 in the record
            None,
        )
    )
    gender = rng.choice(("female", "male", "unknown", None))
    patient: Resource = {"resourceType": "Patient", "id": pid}
    if birth:
        patient["birthDate"] = birth
    if gender:
        patient["gender"] = gender
    out["conditions"] += [
        _condition(pid, rid("c"), codes.SLE_DISORDER, t0 - timedelta(days=900)),
        _condition(pid, rid("c"), LN_CLASS_IV, t0 - timedelta(days=rng.randint(0, 30))),
    ]
    out["medications"].append(_order(pid, rid("m"), MMF, t0, (3, "tablet"), 2))
    if rng.random() < 0.3:  # a second line later on
        out["medications"].append(
            _order(pid, rid("m"), TAC, t0 + timedelta(days=rng.randint(90, 400)), (2, "capsule"), 2)
        )

    # Days results fall on: a regular round plus T0 itself and the baseline window's edges and their neighbours,
    # a day or two after today, and days with several results.
    span_start = t0 - timedelta(days=rng.randint(100, 200))
    days: list[date] = []
    step = rng.choice((7, 14, 30, 45))
    day = span_start
    while day <= today + timedelta(days=3):
        days.append(day + timedelta(days=rng.randint(-2, 2)))
        day += timedelta(days=step)
    edges = [t0, t0 - timedelta(days=90), t0 - timedelta(days=91), t0 + timedelta(days=14), t0 + timedelta(days=15)]
    edges += [t0 - timedelta(days=1), t0 + timedelta(days=1), today, today + timedelta(days=1), today - timedelta(90)]
    days += rng.sample(edges, rng.randint(2, len(edges)))

    # Proteinuria: high, falling (response), then rising again (relapse) from a random day.
    fall_until = t0 + timedelta(days=rng.randint(60, 400))
    relapse_from = fall_until + timedelta(days=rng.randint(30, 200)) if rng.random() < 0.6 else None

    def level(d: date) -> float:
        if d <= t0:
            return 1.0
        if d <= fall_until:
            return max(0.05, 1 - 0.95 * (d - t0).days / max(1, (fall_until - t0).days))
        if relapse_from and d >= relapse_from:
            return 1.2
        return 0.05

    kinds = rng.sample(KINDS, rng.randint(3, len(KINDS)))
    for kind in kinds:
        loinc, key, _, (low, high) = kind
        chosen = rng.sample(days, max(1, int(len(days) * rng.uniform(0.2, 0.9))))
        for d in chosen:
            for _ in range(rng.choice((1, 1, 1, 2, 3))):  # several a day
                obs = _observation(pid, rid("o"), loinc, rng.choice(STATUSES))
                obs.update(_time(rng, d))
                value = _value(rng, kind)
                if key == "proteinuria" and "valueQuantity" in value and rng.random() < 0.7:
                    value["valueQuantity"]["value"] = round(low + (high - low) * level(d) * rng.uniform(0.7, 1.1), 3)
                obs.update(value)
                if rng.random() < 0.2:
                    obs["specimen"] = {"reference": f"Specimen/{pid}-s{rng.randint(1, 6)}"}
                if rng.random() < 0.25:
                    obs["issued"] = f"{(d + timedelta(days=rng.randint(0, 3))).isoformat()}T10:00:00+02:00"
                if rng.random() < 0.2:
                    obs["interpretation"] = [
                        {"coding": [{"system": codes.OBS_INTERPRETATION, "code": rng.choice(("N", "H", "A", "L"))}]}
                    ]
                if key == "kidneyFunction" and rng.random() < 0.3:
                    unit = value.get("valueQuantity", {}).get("unit", "mg/dL")
                    obs["referenceRange"] = [{"high": {"value": high * 0.4, "unit": unit}}]
                out[key].append(obs)
                if rng.random() < 0.15:  # the same identifier re-sent, corrected or amended, issued later
                    again = {**obs, "status": rng.choice(("corrected", "amended", "final", "entered-in-error"))}
                    again["issued"] = f"{(d + timedelta(days=rng.randint(1, 9))).isoformat()}T11:00:00Z"
                    again.update(_value(rng, kind))
                    out[key].append(again)
    prefetch: dict[str, Any] = {"patient": patient}
    for key in KEYS[1:]:
        entries = out[key]
        rng.shuffle(entries)
        prefetch[key] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(entries),
            "entry": [{"fullUrl": f"urn:uuid:{r['resourceType'].lower()}-{r['id']}", "resource": r} for r in entries],
        }
    return prefetch


def resources(prefetch: dict[str, Any]) -> list[Resource]:
    """Returns the resources of a prefetch as one list (what `fhir_maps.map_patient_data` reads)."""
    out = [prefetch["patient"]]
    for key in KEYS[1:]:
        out += [e["resource"] for e in prefetch[key]["entry"]]
    return out


def _observation(pid: str, rid: str, loinc: str, status: str) -> Resource:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": status,
        "category": [{"coding": [{"system": codes.OBS_CATEGORY, "code": "laboratory"}]}],
        "code": {"coding": [{"system": codes.LOINC, "code": loinc}]},
        "subject": {"reference": f"Patient/{pid}"},
    }


def _condition(pid: str, rid: str, snomed: str, onset: date) -> Resource:
    return {
        "resourceType": "Condition",
        "id": rid,
        "clinicalStatus": {"coding": [{"system": codes.CONDITION_CLINICAL, "code": "active"}]},
        "verificationStatus": {"coding": [{"system": codes.CONDITION_VER_STATUS, "code": "confirmed"}]},
        "code": {"coding": [{"system": codes.SNOMED, "code": snomed}]},
        "subject": {"reference": f"Patient/{pid}"},
        "onsetDateTime": onset.isoformat(),
    }


def _order(pid: str, rid: str, drug: tuple[str, str], start: date, dose: tuple[float, str], per_day: int) -> Resource:
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {"coding": [{"system": codes.RXNORM, "code": drug[0], "display": drug[1]}]},
        "subject": {"reference": f"Patient/{pid}"},
        "authoredOn": start.isoformat(),
        "dosageInstruction": [
            {
                "timing": {
                    "repeat": {
                        "boundsPeriod": {"start": start.isoformat()},
                        "frequency": per_day,
                        "period": 1,
                        "periodUnit": "d",
                    }
                },
                "doseAndRate": [{"doseQuantity": {"value": dose[0], "unit": dose[1]}}],
            }
        ],
    }
