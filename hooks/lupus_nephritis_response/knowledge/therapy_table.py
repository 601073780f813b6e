"""The next-line therapy knowledge table for refractory lupus nephritis, as data (no if-chains).

One `TherapyOption` per row, in the review's hierarchy (Santacruz 2023, Table 2 "in hierarchical order" and the text;
evidence.md section 3a reconstructs Fig. 3, which is an image). `rules/next_line.py` reads the table: an option is
offered when it fits the patient's facts and none of the agents it adds was already tried; it moves ahead when a "first"
or "favoured" fact holds. Every clinical statement names its source as an evidence.md id (`sources`); sources with a
verified DOI or registry record are linked on the card (citations.py), the others are reached through the review. Words
shown to clinicians live in `cards/catalogue_therapy_en.py` under `therapy.<id>.*`, `why.*` and `evidence.*`.

Newer guidelines (evidence.md section 3b) change the review's order in one place here: voclosporin is listed only when
the guideline behind the site's criteria set names it (`THERAPY_GUIDELINES`). EULAR SLE 2023 has no response
thresholds in what was read, so it has no criteria set; it is used for therapy ordering only, with the EULAR sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum, StrEnum

from fhir_maps.codes import INGREDIENTS
from fhir_maps.domain import Agent


class Fact(StrEnum):
    """What the ordering knows about the patient (computed in `rules/next_line.patient_facts`)."""

    CYC_TRIED = "cyc-tried"  # cyclophosphamide given without response (earlier line, or the refractory line)
    MMF_TRIED = "mmf-tried"  # mycophenolate (mofetil or mycophenolic acid), likewise
    RITUXIMAB_TRIED = "rituximab-tried"
    EARLY_RELAPSE_AFTER_RITUXIMAB = "early-relapse-after-rituximab"  # see RITUXIMAB_EARLY_RELAPSE_MONTHS
    CLASS_III = "class-iii"
    CLASS_IV_OR_V = "class-iv-or-v"  # IV, V, III+V or IV+V recorded
    PREGNANCY = "pregnancy"
    APS = "aps"
    ACTIVE_INFECTION = "active-infection"


class Tier(IntEnum):
    """Where an offered option goes: by tier first, then by its row in the table (the review's hierarchy)."""

    FIRST = 0  # the setting makes it the next step (switch after one failure; extracorporeal in pregnancy)
    FAVOURED = 1  # the patient's class favours it (seed Conclusions)
    DEFAULT = 2
    LATER = 3  # weak evidence: offered after everything else (seed: MSC, IVIG)


class EvidenceLevel(StrEnum):
    """The design of the best study behind an option (text: `evidence.<level>`)."""

    GUIDELINE = "guideline"  # a guideline recommendation, abstract read (PRIMARY)
    META_ANALYSIS = "meta-analysis"  # meta-analysis of open-label studies
    RCT_OTHER_SETTING = "rct-other-setting"  # randomised trial, but in initial therapy or in refractory SLE
    COHORT = "cohort"  # prospective cohort and small open-label series
    UNCONTROLLED = "uncontrolled"  # pilot and uncontrolled multicentre studies
    OBSERVATIONAL = "observational"  # systematic review of observational data; the only RCT negative
    CASE_SERIES = "case-series"


# Seed, "Belimumab": BAFF rises after rituximab and "is associated with an early relapse of the disease (usually in
# less than 1 year)"; SEED TEXT. Definition used here: the assessment today is refractory and the most recent
# rituximab course ended (its last recorded day; today if still running) no more than 12 months before today.
RITUXIMAB_EARLY_RELAPSE_MONTHS = Decimal(12)
# KDIGO 2024 initial therapy lists MPAA + CNI only "if eGFR >45" (evidence.md 3b.1; 2nd tier: platohealth.ai,
# droracle.ai 275658): at or below this, a calcineurin inhibitor gets a kidney caution. The review gives the reason
# (CNI section): intrarenal vasoconstriction, acute kidney injury, chronic nephrotoxicity.
CNI_EGFR_CAUTION_AT_OR_BELOW = Decimal(45)
# response-model.md section 7 ("a teratogenic agent (MMF, CYC) in pregnancy"); the checklist says the same.
TERATOGENIC_AGENTS = frozenset({Agent.CYCLOPHOSPHAMIDE, Agent.MYCOPHENOLATE_MOFETIL, Agent.MYCOPHENOLIC_ACID})
# Seed, "Calcineurin inhibitors": "The most representative inhibitors within this group are cyclosporine and
# tacrolimus" and "A new calcineurin inhibitor, voclosporin" (SEED TEXT). One class: an option adding any of them is
# not offered once any of them was tried (judgement: one mechanism; the review has no data on switching CNI).
CALCINEURIN_INHIBITORS = frozenset({Agent.TACROLIMUS, Agent.CYCLOSPORINE, Agent.VOCLOSPORIN})
# Mycophenolate mofetil and mycophenolic acid deliver the same drug (response-model.md section 6 gives both targets).
MYCOPHENOLATES = frozenset({Agent.MYCOPHENOLATE_MOFETIL, Agent.MYCOPHENOLIC_ACID})
# Agents that are never offered as new once one of the same group was tried: the drug family or the drug class.
EXCLUSION_CLASSES: tuple[frozenset[Agent], ...] = (CALCINEURIN_INHIBITORS, MYCOPHENOLATES)


def excluded_after(agent: Agent) -> frozenset[Agent]:
    """Returns the agents an option may not add once `agent` was tried: its exclusion class, else the agent."""
    return next((c for c in EXCLUSION_CLASSES if agent in c), frozenset({agent}))


def rxnorm_codes(agent: Agent) -> tuple[str, ...]:
    """Returns the verified RxNorm ingredient codes of `agent` (fhir_maps.codes.INGREDIENTS), or () when none was
    verified (voclosporin, immune globulin): such an agent is named without a code."""
    return tuple(sorted(code for code, a in INGREDIENTS.items() if a is agent))


@dataclass(frozen=True, slots=True)
class TherapyOption:
    """One row of the table. Text keys: `therapy.<id>.name`, `.short`, `.regimen`, `.evidence`."""

    id: str
    adds: tuple[Agent, ...]  # agents it starts; not offered when one was tried (class-wide: EXCLUSION_CLASSES)
    evidence: EvidenceLevel
    sources: tuple[str, ...]  # evidence.md ids behind every statement in the row, linked ones first
    reasons: tuple[tuple[Fact | None, str], ...]  # (fact, `why.*` key): the first whose fact holds; None = default
    keeps: tuple[Agent, ...] = ()  # agents given with it (e.g. mycophenolate in multitarget therapy)
    fits_when: frozenset[Fact] = frozenset()  # offered only when one of these holds; empty = always
    first_when: frozenset[Fact] = frozenset()
    favoured_when: frozenset[Fact] = frozenset()
    later: bool = False
    needs_guideline: frozenset[str] = frozenset()  # offered only when the set's guidelines include one of these
    intensifies_immunosuppression: bool = True  # the review's caution in active infection applies
    calcineurin_inhibitor: bool = False  # the review's CNI monitoring list and kidney caution apply

    @property
    def agents(self) -> tuple[Agent, ...]:
        """Returns every agent of the regimen: those it adds, then those given with it."""
        return (*self.adds, *self.keeps)

    @property
    def rxnorm(self) -> tuple[tuple[Agent, tuple[str, ...]], ...]:
        """Returns each agent of the regimen with its verified RxNorm ingredient codes (empty when none)."""
        return tuple((a, rxnorm_codes(a)) for a in self.agents)

    @property
    def teratogenic(self) -> bool:
        """Returns True when the regimen includes a teratogenic agent (removed in pregnancy)."""
        return bool(TERATOGENIC_AGENTS.intersection(self.agents))


THERAPY_TABLE: tuple[TherapyOption, ...] = (
    # Seed, Definitions (last paragraph): no remission after 6 months of CYC -> switch to mycophenolate, "or vice
    # versa"; EULAR 2019 abstract: "switch of induction regimens or rituximab" (PRIMARY). MMF 2-3 g/day: seed (CNI
    # section) and EULAR 2019 abstract.
    TherapyOption(
        id="switch-to-mmf",
        adds=(Agent.MYCOPHENOLATE_MOFETIL,),
        evidence=EvidenceLevel.GUIDELINE,
        sources=("eular-ln-2019", "seed-santacruz-2023"),
        reasons=((None, "why.switch-after-cyc"),),
        fits_when=frozenset({Fact.CYC_TRIED}),
        first_when=frozenset({Fact.CYC_TRIED}),
    ),
    TherapyOption(
        id="switch-to-cyc",
        adds=(Agent.CYCLOPHOSPHAMIDE,),
        evidence=EvidenceLevel.GUIDELINE,
        sources=("eular-ln-2019", "seed-santacruz-2023"),
        reasons=((None, "why.switch-after-mmf"),),
        fits_when=frozenset({Fact.MMF_TRIED}),
        first_when=frozenset({Fact.MMF_TRIED}),
    ),
    # Seed, Rituximab: "one of the first treatment alternatives when there is therapeutic failure with mycophenolate
    # and cyclophosphamide"; meta-analysis: overall response 74%, better in class III; regimens 375 mg/m2 weekly x4
    # or 1000 mg days 1 and 15. Seed Conclusions: rituximab (+ belimumab) preferred in class III. RING: registry only.
    TherapyOption(
        id="rituximab",
        adds=(Agent.RITUXIMAB,),
        evidence=EvidenceLevel.META_ANALYSIS,
        sources=("rituximab-meta-2013", "ring-nct01673295", "eular-sle-2023", "seed-santacruz-2023"),
        reasons=((Fact.CLASS_III, "why.rituximab-class-iii"), (None, "why.rituximab")),
        favoured_when=frozenset({Fact.CLASS_III}),
    ),
    # Seed, Belimumab: sequential rituximab -> belimumab "particularly in patients who present early relapses";
    # BEAT-Lupus (refractory SLE, n=52): severe flares HR 0.27 (evidence.md correction 4); CALIBRATE: no efficacy gain
    # in refractory LN (evidence.md 3b.6). Dose: not given in the review.
    TherapyOption(
        id="belimumab-after-rituximab",
        adds=(Agent.BELIMUMAB,),
        evidence=EvidenceLevel.RCT_OTHER_SETTING,
        sources=("beat-lupus-2021", "calibrate-2020", "seed-santacruz-2023"),
        reasons=((Fact.EARLY_RELAPSE_AFTER_RITUXIMAB, "why.belimumab-early-relapse"), (None, "why.belimumab")),
        fits_when=frozenset({Fact.RITUXIMAB_TRIED}),
        first_when=frozenset({Fact.EARLY_RELAPSE_AFTER_RITUXIMAB}),
    ),
    # Seed, Belimumab (last paragraph): whether obinutuzumab or ofatumumab match rituximab when it is contraindicated
    # "is unknown"; ofatumumab: one case. Obinutuzumab trials are initial add-on therapy (NOBILITY, REGENCY); EULAR
    # 2025 lists it among the biologics (PRIMARY abstract). Rituximab contraindications are not in the data read,
    # so the row fits only after rituximab was tried.
    TherapyOption(
        id="anti-cd20-alternative",
        adds=(Agent.OBINUTUZUMAB, Agent.OFATUMUMAB),
        evidence=EvidenceLevel.RCT_OTHER_SETTING,
        sources=("obinutuzumab-regency-2025", "eular-ln-2025", "seed-santacruz-2023"),
        reasons=((None, "why.anti-cd20"),),
        fits_when=frozenset({Fact.RITUXIMAB_TRIED}),
    ),
    # Seed, CNI: multitarget (glucocorticoids + tacrolimus + MMF) superior to IV CYC at 6 months, "mainly ... class IV
    # and V or combined IV/V"; CR 50% vs 5% (Bao 2008, an induction RCT: evidence.md correction 7). Seed Conclusions:
    # CNIs favoured in classes IV, V and IV+V.
    TherapyOption(
        id="multitarget",
        adds=(Agent.TACROLIMUS,),
        keeps=(Agent.MYCOPHENOLATE_MOFETIL, Agent.GLUCOCORTICOID),
        evidence=EvidenceLevel.RCT_OTHER_SETTING,
        sources=("multitarget-bao-2008", "seed-santacruz-2023"),
        reasons=((Fact.CLASS_IV_OR_V, "why.cni-class-iv-v"), (None, "why.cni")),
        favoured_when=frozenset({Fact.CLASS_IV_OR_V}),
        calcineurin_inhibitor=True,
    ),
    # Seed, CNI: tacrolimus 2 or 3 mg by body weight in 26 CYC-resistant patients (Chinese cohort, Fei 2013); Korean
    # series after IV CYC failure; cyclosporine 2.6-3.7 mg/kg/day after MMF failure (case series, UNVERIFIED).
    # Not re-offered after any calcineurin inhibitor, voclosporin included (CALCINEURIN_INHIBITORS, one class).
    TherapyOption(
        id="cni",
        adds=(Agent.TACROLIMUS, Agent.CYCLOSPORINE),
        evidence=EvidenceLevel.COHORT,
        sources=(
            "seed-santacruz-2023",
            "tacrolimus-fei-2013",
            "tacrolimus-korean-refractory",
            "cyclosporine-after-mmf-series",
        ),
        reasons=((Fact.CLASS_IV_OR_V, "why.cni-class-iv-v"), (None, "why.cni")),
        favoured_when=frozenset({Fact.CLASS_IV_OR_V}),
        calcineurin_inhibitor=True,
    ),
    # Seed, CNI (last paragraph): voclosporin "another promising option"; AURORA 1 is initial therapy with MMF and
    # low-dose steroids. Named by KDIGO 2024 (2nd tier) and EULAR SLE 2023 (PRIMARY abstract), not in the review order.
    TherapyOption(
        id="voclosporin",
        adds=(Agent.VOCLOSPORIN,),
        keeps=(Agent.MYCOPHENOLATE_MOFETIL, Agent.GLUCOCORTICOID),
        evidence=EvidenceLevel.RCT_OTHER_SETTING,
        sources=("aurora1-2021", "kdigo-ln-2024", "eular-sle-2023"),
        reasons=((None, "why.voclosporin"),),
        needs_guideline=frozenset({"kdigo-ln-2024", "eular-sle-2023"}),
        calcineurin_inhibitor=True,
    ),
    # Seed, MSC: 15 refractory patients (Liang 2010: SLE, evidence.md correction 5), multicentre UC-MSC (Wang 2014);
    # "more experience, technological development and highly qualified personnel are required".
    TherapyOption(
        id="msc",
        adds=(),
        evidence=EvidenceLevel.UNCONTROLLED,
        sources=("msc-ucmsc-wang-2014", "seed-santacruz-2023", "msc-liang-2010"),
        reasons=((None, "why.msc"),),
        later=True,
        intensifies_immunosuppression=False,
    ),
    # Seed, Extracorporeal therapy and Table 2 (Kronbichler 2016): useful in pregnancy, APS and active infection, or
    # an "absolute contraindication to the intensification of conventional treatment"; immunoadsorption has replaced
    # plasmapheresis (fewer adverse events); the plasmapheresis RCT (Lewis 1992) was negative.
    TherapyOption(
        id="extracorporeal",
        adds=(),
        evidence=EvidenceLevel.OBSERVATIONAL,
        sources=("extracorporeal-kronbichler-2016", "plasmapheresis-lewis-1992", "seed-santacruz-2023"),
        reasons=(
            (Fact.PREGNANCY, "why.extracorporeal-pregnancy"),
            (Fact.ACTIVE_INFECTION, "why.extracorporeal-infection"),
            (None, "why.extracorporeal-aps"),
        ),
        fits_when=frozenset({Fact.PREGNANCY, Fact.APS, Fact.ACTIVE_INFECTION}),
        first_when=frozenset({Fact.PREGNANCY, Fact.ACTIVE_INFECTION}),
        intensifies_immunosuppression=False,
    ),
    # Seed, Alternative immunosuppressive therapy and Table 2 (Levy 2000): 7 patients who failed CYC, 1-6 cycles of
    # 400 mg/kg for 5 days; "prolonged cycles ... exponential increase in costs".
    TherapyOption(
        id="ivig",
        adds=(Agent.IMMUNE_GLOBULIN,),
        evidence=EvidenceLevel.CASE_SERIES,
        sources=("ivig-levy-2000", "seed-santacruz-2023"),
        reasons=((None, "why.ivig"),),
        fits_when=frozenset({Fact.CYC_TRIED}),
        later=True,
        intensifies_immunosuppression=False,
    ),
)

# Sources named in the table without a link: no verified DOI or registry record (evidence.md section 1c).
UNLINKED_SOURCES = frozenset(
    {"tacrolimus-fei-2013", "tacrolimus-korean-refractory", "cyclosporine-after-mmf-series", "msc-liang-2010"}
)

# The guidelines each criteria set brings to therapy ordering (evidence.md section 3b). The review's hierarchy is the
# base for all; a set's guidelines only add what they name (voclosporin).
THERAPY_GUIDELINES: dict[str, tuple[str, ...]] = {
    "seed-eular-era-edta-2012": ("seed-santacruz-2023",),
    "acr-2012": ("seed-santacruz-2023",),
    "kdigo-2024": ("seed-santacruz-2023", "kdigo-ln-2024"),
    "eular-2019": ("seed-santacruz-2023", "eular-ln-2019", "eular-sle-2023"),
    "eular-2025": ("seed-santacruz-2023", "eular-ln-2025", "eular-sle-2023"),
}
