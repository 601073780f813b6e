"""Prefetch templates, built from the value-set tables (never typed-in codes), shared between services.

Queries use only what the spec says clients should support: a type search with a patient reference, token
equality with system|code, `_count` and `_sort`.
"""

from __future__ import annotations

from fhir_maps import codes
from fhir_maps.codes import ValueSet

PATIENT_TOKEN = "{{context.patientId}}"  # noqa: S105 -- a CDS Hooks prefetch token, not a secret


def _tokens(*value_sets: ValueSet) -> str:
    return ",".join(f"{system}|{code}" for vs in value_sets for system in sorted(vs) for code in sorted(vs[system]))


def observation_query(*value_sets: ValueSet, count: int = 100) -> str:
    """Returns an Observation search template for the codes of `value_sets`, newest first."""
    return f"Observation?patient={PATIENT_TOKEN}&code={_tokens(*value_sets)}&_sort=-date&_count={count}"


def condition_query(*value_sets: ValueSet, count: int = 100) -> str:
    """Returns a Condition search template for the codes of `value_sets`."""
    return f"Condition?patient={PATIENT_TOKEN}&code={_tokens(*value_sets)}&_count={count}"


PATIENT = f"Patient/{PATIENT_TOKEN}"
# Conditions are fetched in three code searches, each URL under about 2,000 characters (what servers and proxies
# reliably accept): the lupus diagnoses that decide scope (the gate key), pregnancy (safety: teratogens, RAAS
# blockers), and serious infection (therapy ordering). One search with every code ran to about 2,700 characters.
LUPUS_CONDITIONS = condition_query(codes.LUPUS_NEPHRITIS, codes.SLE, codes.TMA, codes.APS)
PREGNANCY_CONDITIONS = condition_query(codes.PREGNANCY)
INFECTION_CONDITIONS = condition_query(codes.ACTIVE_INFECTION)
PROTEINURIA_OBSERVATIONS = observation_query(codes.UPCR, codes.PROTEIN_24H)
KIDNEY_FUNCTION_OBSERVATIONS = observation_query(codes.CREATININE, codes.EGFR)
SEDIMENT_OBSERVATIONS = observation_query(codes.URINE_RBC, codes.CELLULAR_CASTS, codes.CASTS_UNTYPED)
MEDICATION_REQUESTS = f"MedicationRequest?patient={PATIENT_TOKEN}&_count=200"
# Pulse regimens (intravenous cyclophosphamide, rituximab) are often recorded only as the doses given, one
# MedicationAdministration per infusion; `patient` is a search parameter of MedicationAdministration in FHIR R4.
MEDICATION_ADMINISTRATIONS = f"MedicationAdministration?patient={PATIENT_TOKEN}&_count=200"
