"""The citations the cards link to, from evidence.md: only identifiers marked VERIFIED or VERIFIED-2nd.

Labels are bibliographic (authors, year, title, journal): they are not translated, so they live here with their
identifiers rather than in `text.py`. Links use `https://doi.org/<doi>` (evidence.md link rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Verification(StrEnum):
    """How the identifier was read (evidence.md "How to read the status column")."""

    VERIFIED = "VERIFIED"  # read in the publication, its PubMed/PMC record, the publisher page or the registry
    VERIFIED_2ND = "VERIFIED-2nd"  # read only in independent third-party citations


@dataclass(frozen=True, slots=True)
class Citation:
    id: str
    label: str  # short, for a card link
    url: str
    verification: Verification


CITATIONS: dict[str, Citation] = {
    c.id: c
    for c in (
        Citation(
            "seed-santacruz-2023",
            "Santacruz et al. 2023, Update on available therapies for refractory lupus nephritis",
            "https://doi.org/10.1016/j.rcreue.2021.10.010",  # VERIFIED: printed in the seed; elsevier.es page
            Verification.VERIFIED,
        ),
        Citation(
            "eular-era-edta-ln-2012",
            "Bertsias et al. 2012, Joint EULAR/ERA-EDTA recommendations for lupus nephritis",
            "https://doi.org/10.1136/annrheumdis-2012-201940",  # VERIFIED-2nd: EULAR 2023 reference list (ouci)
            Verification.VERIFIED_2ND,
        ),
        Citation(
            "eular-ln-2019",
            "Fanouriakis et al. 2020, 2019 update of the EULAR/ERA-EDTA lupus nephritis recommendations",
            "https://doi.org/10.1136/annrheumdis-2020-216924",  # VERIFIED: ARD abstract page and PDF header
            Verification.VERIFIED,
        ),
        Citation(
            "eular-ln-2025",
            "Fanouriakis et al. 2025, EULAR recommendations for SLE with kidney involvement: 2025 update",
            "https://doi.org/10.1016/j.ard.2025.09.007",  # VERIFIED: PubMed mirror record (PMID 41107121)
            Verification.VERIFIED,
        ),
        Citation(
            "kdigo-ln-2024",
            "KDIGO 2024 Clinical Practice Guideline for the Management of Lupus Nephritis",
            "https://doi.org/10.1016/j.kint.2023.09.002",  # VERIFIED-2nd: three public citations, one via Crossmark
            Verification.VERIFIED_2ND,
        ),
        Citation(
            "acr-ln-2012",
            "Hahn et al. 2012, ACR guidelines for screening, treatment and management of lupus nephritis",
            "https://doi.org/10.1002/acr.21664",  # VERIFIED: PMC3437757
            Verification.VERIFIED,
        ),
    )
}

SEED_CITATION_ID = "seed-santacruz-2023"
