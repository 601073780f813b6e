"""eGFR from serum creatinine: the race-free CKD-EPI 2021 creatinine equation.

Used when a patient has creatinine results but no reported eGFR (response-model.md §3); the card says so.
Equation and constants as published by the National Kidney Foundation, "CKD-EPI Creatinine Equation (2021)",
https://www.kidney.org/ckd-epi-creatinine-equation-2021 (read 2026-11), after Inker LA et al., N Engl J Med
2021;385:1737-49:  eGFRcr = 142 x min(Scr/k, 1)^a x max(Scr/k, 1)^-1.200 x 0.9938^Age x 1.012 [if female],
Scr standardized serum creatinine in mg/dL, k 0.7 (F) / 0.9 (M), a -0.241 (F) / -0.302 (M), age in years.
The equation is for adults (18 and over, per the NIDDK page on GFR equations for adults).
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from fhir_maps.domain import Sex

CKD_EPI_2021_MULTIPLIER = Decimal("142")
CKD_EPI_2021_KAPPA = {Sex.FEMALE: Decimal("0.7"), Sex.MALE: Decimal("0.9")}  # mg/dL
CKD_EPI_2021_ALPHA = {Sex.FEMALE: Decimal("-0.241"), Sex.MALE: Decimal("-0.302")}
CKD_EPI_2021_HIGH_EXPONENT = Decimal("-1.200")  # applied to max(Scr/k, 1)
CKD_EPI_2021_AGE_BASE = Decimal("0.9938")  # per year of age
CKD_EPI_2021_FEMALE_FACTOR = Decimal("1.012")
ADULT_AGE_YEARS = 18
MAX_AGE_YEARS = 150  # a sanity bound on a computed age (a mistyped birth year), not a clinical limit
EGFR_QUANTUM = Decimal("0.1")  # mL/min/1.73 m2; labs report whole numbers, one decimal keeps thresholds honest


def ckd_epi_2021(creatinine_mg_dl: Decimal, age_years: int, sex: Sex) -> Decimal:
    """Returns eGFR in mL/min/{1.73_m2} by the CKD-EPI 2021 creatinine equation, to 0.1.

    Raises ValueError when sex is unknown (the equation needs it), the age is under 18 (or past any human age),
    creatinine is not a positive finite number, or the arithmetic cannot give a result to 0.1 (a creatinine far
    outside its `lab_concepts` plausible range, which mapping already drops): the caller then compares creatinine
    directly instead (response-model.md §3).
    """
    if sex is Sex.UNKNOWN:
        raise ValueError("CKD-EPI 2021 needs sex female or male")
    if age_years < ADULT_AGE_YEARS:
        raise ValueError("CKD-EPI 2021 is an adult equation")
    if age_years > MAX_AGE_YEARS:
        raise ValueError("age is past any human age")
    if not isinstance(creatinine_mg_dl, Decimal) or not creatinine_mg_dl.is_finite() or not creatinine_mg_dl > 0:
        raise ValueError("creatinine must be a positive finite number")
    return _ckd_epi_2021(str(creatinine_mg_dl), age_years, sex)


# The rules ask for the eGFR of the same creatinine results once per date they judge (a long history asks
# thousands of times), and the Decimal powers are the costly part: remembered by the exact Decimal (its text
# keeps digits and exponent, so "1.0" and "1.00" stay apart), age and sex. Pure arithmetic: the same value.
@lru_cache(maxsize=4096)
def _ckd_epi_2021(creatinine: str, age_years: int, sex: Sex) -> Decimal:
    try:
        ratio = Decimal(creatinine) / CKD_EPI_2021_KAPPA[sex]
        one = Decimal(1)
        egfr = (
            CKD_EPI_2021_MULTIPLIER
            * min(ratio, one) ** CKD_EPI_2021_ALPHA[sex]
            * max(ratio, one) ** CKD_EPI_2021_HIGH_EXPONENT
            * CKD_EPI_2021_AGE_BASE**age_years
        )
        if sex is Sex.FEMALE:
            egfr *= CKD_EPI_2021_FEMALE_FACTOR
        return egfr.quantize(EGFR_QUANTUM)
    except ArithmeticError:  # decimal.DecimalException and its kin; e.g. 1e-200 mg/dL has too many digits
        raise ValueError("creatinine gives no representable eGFR") from None
