"""The response criteria sets, as data: one frozen table per guideline reading, chosen by a site setting.

Guidelines disagree on the numbers (a fall of "> 50%" or "at least 50%", a non-nephrotic ceiling of 3.5 or 3 g/g, a
kidney-function tolerance of 10, 15 or 20%) and on the time points, so no number lives in the rule code. Every number
below is a named constant whose comment gives its source and how firmly it was read, in the tiers of `evidence.md`
section 2 (SEED TEXT / PRIMARY / 2nd tier). A set's display name lives in `cards/catalogue_en.py` with every other
clinician-facing string.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum


class Level(IntEnum):
    """Response classes, ordered: a higher level implies the patient did at least as well."""

    NONE = 0
    IMPROVEMENT = 1
    PARTIAL = 2
    COMPLETE = 3


@dataclass(frozen=True, slots=True)
class ResponseTest:
    """One response definition: a proteinuria criterion, plus stable kidney function and maybe a quiet sediment.

    Proteinuria is compared in g/g; a 24-h protein in g/day is taken as equivalent (response-model.md section 3).
    """

    max_proteinuria: Decimal | None = None  # the current value must be strictly below this
    min_fall: Decimal | None = None  # fraction of baseline the proteinuria must have fallen by
    fall_strict: bool = False  # True: the fall must exceed min_fall ("> 50%"); False: reach it ("at least 50%")
    needs_inactive_sediment: bool = False
    needs_stable_kidney: bool = True


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A time point by which a target must be met; missing it is a refractory criterion (or only a watch note)."""

    key: str  # names the criterion in the catalogue ("criterion.<key>")
    months: Decimal  # judged once the line has run at least this long
    window_end_months: Decimal | None  # the end of the guideline's window ("6-12 months"), for the card's wording
    test: ResponseTest
    watch_only: bool = False  # True: missing it gives a watch note, never a refractory call


@dataclass(frozen=True, slots=True)
class CriteriaSet:
    """A named reading of one guideline: response definitions, kidney tolerance and refractory time points."""

    id: str
    citation_ids: tuple[str, ...]  # citations.py ids; the first is the guideline the card's source names
    complete: ResponseTest
    partial: ResponseTest
    improvement: ResponseTest | None
    kidney_tolerance: Decimal  # stable = eGFR not below (1 - tolerance) x baseline, creatinine not above (1 + t) x
    checkpoints: tuple[Checkpoint, ...]  # in time order
    # True: the checkpoints are milestones of one trajectory, and a later target supersedes the earlier ones (EULAR
    # 2019/2025: >= 25% by 3 months, >= 50% by 6, < 0.7 g/g by 12). An earlier miss then makes no refractory call
    # while the latest due milestone is undecided. False: each checkpoint is its own refractory criterion (the
    # seed's "no improvement by 3-4 months, no PR by 6-12, no CR by 24"). See rules/clinical_response.judge_checkpoints.
    later_supersedes: bool = False


class UnknownCriteriaSet(KeyError, ValueError):
    """The configured criteria set does not exist; settings validate the id at startup, so this is a bug."""


# --- seed-eular-era-edta-2012: EULAR/ERA-EDTA 2012 as the review (Santacruz 2023) quotes it -------------------------
# Seed, section "Definitions to assess the response to treatment" (paragraphs 1-2): SEED TEXT, read in full; the 2012
# guideline text itself was not read (evidence.md section 2, first row).
SEED_CR_PROTEINURIA_BELOW = Decimal("0.5")  # seed para 2: "proteinuria to <0.5 g/day"; SEED TEXT
SEED_PR_MIN_FALL = Decimal("0.50")  # seed para 2: "reduction in proteinuria > 50%" (strictly more); SEED TEXT
SEED_PR_PROTEINURIA_BELOW = Decimal("3.5")  # seed para 2: "non-nephrotic range (<3.5 g/day)"; SEED TEXT
# The review says only "normal or stable creatinine"; the 10% comes from response-model.md section 4 ("EULAR: within
# 10%") and was not read in the review or the 2012 text. (BLISS-LN's CRR uses "no worse than 10% below", PRIMARY, a
# trial endpoint only.)
SEED_KIDNEY_TOLERANCE = Decimal("0.10")
# "Improvement" is not defined in the review; response-model.md section 4 uses the EULAR 2019 3-month goal of a >= 25%
# fall: 2nd tier (droracle.ai 393032 and a GitHub study note); the 2019 body text was not read.
SEED_IMPROVEMENT_MIN_FALL = Decimal("0.25")
SEED_NO_IMPROVEMENT_MONTHS = Decimal(3)  # seed para 1: "lack of improvement within 3-4 months"; SEED TEXT
SEED_NO_IMPROVEMENT_WINDOW_END = Decimal(4)  # same sentence, end of the 3-4 month window
SEED_NO_PR_MONTHS = Decimal(6)  # seed para 1: "failure to achieve a partial response after 6-12 months"; SEED TEXT
SEED_NO_PR_WINDOW_END = Decimal(12)  # same sentence, end of the 6-12 month window
SEED_NO_CR_MONTHS = Decimal(24)  # seed para 1: "or a complete response after 2 years of treatment"; SEED TEXT

# --- kdigo-2024 ---------------------------------------------------------------------------------------------------
# Every KDIGO number is read in two independent secondaries that reproduce the guideline's figure word for word
# (evidence.md section 2, KDIGO row); the primary PDF was not opened.
# KDIGO 2024, definitions-of-response figure, via secondary; primary not read: CR "<0.5 g/g"
KDIGO_CR_PROTEINURIA_BELOW = Decimal("0.5")
# KDIGO 2024, definitions-of-response figure, via secondary; primary not read: PR "by >=50%" (at least)
KDIGO_PR_MIN_FALL = Decimal("0.50")
# KDIGO 2024, definitions-of-response figure, via secondary; primary not read: PR "to <3 g/g"
KDIGO_PR_PROTEINURIA_BELOW = Decimal("3.0")
# KDIGO 2024, definitions-of-response figure, via secondary; primary not read: "+-10-15% of baseline"; the upper
# bound is used, as response-model.md section 4 says.
KDIGO_KIDNEY_TOLERANCE = Decimal("0.15")
# KDIGO 2024, definitions-of-response figure, via secondary; primary not read: no response "within 6-12 months"
KDIGO_NO_RESPONSE_MONTHS = Decimal(6)
KDIGO_NO_RESPONSE_WINDOW_END = Decimal(12)  # same figure and tier: the end of the 6-12 month window

# --- eular-2025 ---------------------------------------------------------------------------------------------------
# EULAR 2025 kidney update: abstract PRIMARY (PMID 41107121) confirms "treatment milestones"; every number below is
# 2nd tier (drlex.ai/guideline/lupus-nephritis-4436) and must be checked against the full text.
EULAR25_CR_PROTEINURIA_BELOW = Decimal("0.5")  # EULAR 2025, "UPCR <0.5 g/g"; 2nd tier
EULAR25_3M_MIN_FALL = Decimal("0.25")  # EULAR 2025, ">=25% by 3 months"; 2nd tier
EULAR25_3M_MONTHS = Decimal(3)  # EULAR 2025 milestone time point; 2nd tier
EULAR25_6M_MIN_FALL = Decimal("0.50")  # EULAR 2025, ">=50% by 6 months"; 2nd tier
EULAR25_6M_MONTHS = Decimal(6)  # EULAR 2025 milestone time point; 2nd tier
EULAR25_12M_PROTEINURIA_BELOW = Decimal("0.7")  # EULAR 2025, "UPCR <0.7 g/g by 12 months"; 2nd tier
EULAR25_12M_MONTHS = Decimal(12)  # EULAR 2025 milestone time point; 2nd tier
EULAR25_KIDNEY_TOLERANCE = Decimal("0.20")  # EULAR 2025, GFR ">=80% of baseline"; 2nd tier

# --- eular-2019 ---------------------------------------------------------------------------------------------------
# EULAR/ERA-EDTA 2019 LN update (evidence.md section 2, EULAR/ERA-EDTA 2019 row). The CR target is PRIMARY (abstract:
# "complete response (proteinuria <0.5-0.7 g/24 hours with (near-)normal glomerular filtration rate) by 12 months");
# the 3- and 6-month milestones are 2nd tier (droracle.ai 393032 and a GitHub study note; body text not read). The
# extension for a nephrotic baseline ("+6-12 months", 2nd tier) is not modelled: the card's 12-month call stands.
EULAR19_CR_PROTEINURIA_BELOW = Decimal("0.5")  # EULAR 2019 abstract, lower end of "<0.5-0.7 g/24 h"; PRIMARY
EULAR19_3M_MIN_FALL = Decimal("0.25")  # EULAR 2019, ">=25% by 3 months"; 2nd tier
EULAR19_3M_MONTHS = Decimal(3)  # EULAR 2019 milestone time point; 2nd tier
EULAR19_6M_MIN_FALL = Decimal("0.50")  # EULAR 2019, ">=50% by 6 months"; 2nd tier
EULAR19_6M_MONTHS = Decimal(6)  # EULAR 2019 milestone time point; 2nd tier
# EULAR 2019 abstract, upper end of "<0.5-0.7 g/24 h" "by 12 months", used as the 12-month target; PRIMARY
EULAR19_12M_PROTEINURIA_BELOW = Decimal("0.7")
EULAR19_12M_MONTHS = Decimal(12)  # EULAR 2019 abstract, "by 12 months"; PRIMARY
# EULAR 2019 says only "(near-)normal GFR"; the 10% is response-model.md section 4 ("EULAR: within 10%"), not read
# in the 2019 text.
EULAR19_KIDNEY_TOLERANCE = Decimal("0.10")

_SEED_CR = ResponseTest(max_proteinuria=SEED_CR_PROTEINURIA_BELOW, needs_inactive_sediment=True)
_SEED_PR = ResponseTest(
    max_proteinuria=SEED_PR_PROTEINURIA_BELOW,
    min_fall=SEED_PR_MIN_FALL,
    fall_strict=True,
    needs_inactive_sediment=True,
)
_SEED_IMPROVEMENT = ResponseTest(min_fall=SEED_IMPROVEMENT_MIN_FALL)


def _seed_checkpoints(*, improvement_watch_only: bool) -> tuple[Checkpoint, ...]:
    return (
        Checkpoint(
            "no-improvement",
            SEED_NO_IMPROVEMENT_MONTHS,
            SEED_NO_IMPROVEMENT_WINDOW_END,
            _SEED_IMPROVEMENT,
            watch_only=improvement_watch_only,
        ),
        Checkpoint("no-partial", SEED_NO_PR_MONTHS, SEED_NO_PR_WINDOW_END, _SEED_PR),
        Checkpoint("no-complete", SEED_NO_CR_MONTHS, None, _SEED_CR),
    )


SEED_SET = CriteriaSet(
    id="seed-eular-era-edta-2012",
    citation_ids=("eular-era-edta-ln-2012", "seed-santacruz-2023", "eular-ln-2019"),
    complete=_SEED_CR,
    partial=_SEED_PR,
    improvement=_SEED_IMPROVEMENT,
    kidney_tolerance=SEED_KIDNEY_TOLERANCE,
    checkpoints=_seed_checkpoints(improvement_watch_only=False),
)

_KDIGO_PR = ResponseTest(max_proteinuria=KDIGO_PR_PROTEINURIA_BELOW, min_fall=KDIGO_PR_MIN_FALL)
KDIGO_SET = CriteriaSet(
    id="kdigo-2024",
    citation_ids=("kdigo-ln-2024",),
    complete=ResponseTest(max_proteinuria=KDIGO_CR_PROTEINURIA_BELOW),
    partial=_KDIGO_PR,
    improvement=None,  # KDIGO 2024 (via secondary) defines no early-improvement class
    kidney_tolerance=KDIGO_KIDNEY_TOLERANCE,
    checkpoints=(Checkpoint("no-response", KDIGO_NO_RESPONSE_MONTHS, KDIGO_NO_RESPONSE_WINDOW_END, _KDIGO_PR),),
)


def _milestone_set(
    set_id: str,
    citation_id: str,
    complete_below: Decimal,
    milestones: tuple[tuple[Decimal, Decimal], tuple[Decimal, Decimal], tuple[Decimal, Decimal]],
    kidney_tolerance: Decimal,
) -> CriteriaSet:
    """Returns a EULAR-style set of three milestones: ((fall, months) at 3, (fall, months) at 6, (UPCR below,
    months) at 12). Neither EULAR text read here words a partial response, so the 6-month fall stands in for it;
    the milestones are one trajectory, so a later one met supersedes an earlier miss (response-model.md section 4;
    evidence.md section 2)."""
    (fall_3, months_3), (fall_6, months_6), (below_12, months_12) = milestones
    three, six = ResponseTest(min_fall=fall_3), ResponseTest(min_fall=fall_6)
    return CriteriaSet(
        id=set_id,
        citation_ids=(citation_id,),
        complete=ResponseTest(max_proteinuria=complete_below),
        partial=six,
        improvement=three,
        kidney_tolerance=kidney_tolerance,
        checkpoints=(
            Checkpoint("milestone-3", months_3, None, three),
            Checkpoint("milestone-6", months_6, None, six),
            Checkpoint("milestone-12", months_12, None, ResponseTest(max_proteinuria=below_12)),
        ),
        later_supersedes=True,
    )


EULAR25_SET = _milestone_set(
    "eular-2025",
    "eular-ln-2025",
    EULAR25_CR_PROTEINURIA_BELOW,
    (
        (EULAR25_3M_MIN_FALL, EULAR25_3M_MONTHS),
        (EULAR25_6M_MIN_FALL, EULAR25_6M_MONTHS),
        (EULAR25_12M_PROTEINURIA_BELOW, EULAR25_12M_MONTHS),
    ),
    EULAR25_KIDNEY_TOLERANCE,
)
EULAR19_SET = _milestone_set(
    "eular-2019",
    "eular-ln-2019",
    EULAR19_CR_PROTEINURIA_BELOW,
    (
        (EULAR19_3M_MIN_FALL, EULAR19_3M_MONTHS),
        (EULAR19_6M_MIN_FALL, EULAR19_6M_MONTHS),
        (EULAR19_12M_PROTEINURIA_BELOW, EULAR19_12M_MONTHS),
    ),
    EULAR19_KIDNEY_TOLERANCE,
)

# ACR 2012 as the review quotes it (review para 2: keep the induction regimen "for another 6 months before considering
# to change it"; SEED TEXT, the ACR text itself not read): the default set's definitions, with the 3-month
# criterion downgraded to a watch note, so the earliest refractory call is at 6 months.
ACR_SET = CriteriaSet(
    id="acr-2012",
    citation_ids=("acr-ln-2012", "seed-santacruz-2023", "eular-era-edta-ln-2012"),
    complete=_SEED_CR,
    partial=_SEED_PR,
    improvement=_SEED_IMPROVEMENT,
    kidney_tolerance=SEED_KIDNEY_TOLERANCE,
    checkpoints=_seed_checkpoints(improvement_watch_only=True),
)

DEFAULT_CRITERIA_SET = SEED_SET.id
# EULAR SLE 2023 gives no response thresholds in what was read (evidence.md section 2: NOT READ), so there is no set
# for it; it is used for therapy ordering only (therapy_table.THERAPY_GUIDELINES).
CRITERIA_SETS: dict[str, CriteriaSet] = {cs.id: cs for cs in (SEED_SET, KDIGO_SET, EULAR25_SET, ACR_SET, EULAR19_SET)}


def get_criteria_set(set_id: str) -> CriteriaSet:
    """Returns the criteria set named `set_id`; raises UnknownCriteriaSet (a KeyError and a ValueError) if none."""
    try:
        return CRITERIA_SETS[set_id]
    except KeyError:
        raise UnknownCriteriaSet(f"unknown criteria set {set_id!r}; known: {', '.join(CRITERIA_SETS)}") from None
