"""The citations the cards link to, from evidence.md: only identifiers marked VERIFIED or VERIFIED-2nd.

Labels are bibliographic (authors, year, title, journal): they are not translated, so they live here with their
identifiers rather than in the word catalogue (`cards/catalogue_en.py`). Links use `https://doi.org/<doi>` (evidence.md
link rule); a trial with no verified DOI links its ClinicalTrials.gov record instead (evidence.md: "For trial
registrations, use the ClinicalTrials.gov record"). Studies the therapy table names without a verified identifier (Liang
2010, Fei 2013, the Korean tacrolimus series, the cyclosporine series) are not here: they are reached through the review
review's link.
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
            "https://doi.org/10.1016/j.rcreue.2021.10.010",  # VERIFIED: printed in the review; elsevier.es page
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
        Citation(
            "eular-sle-2023",
            "Fanouriakis et al. 2024, EULAR recommendations for the management of SLE: 2023 update",
            "https://doi.org/10.1136/ard-2023-224762",  # VERIFIED: ard.bmj.com/content/83/1/15 and the PDF header
            Verification.VERIFIED,
        ),
        # --- therapy evidence (evidence.md sections 1b, 1c, 1e) --------------------------------------------------
        Citation(
            "rituximab-meta-2013",
            "Weidenbusch et al., NDT 2012, Beyond the LUNAR trial: rituximab in refractory lupus nephritis",
            "https://doi.org/10.1093/ndt/gfs285",  # VERIFIED: article header (NDT Advance Access)
            Verification.VERIFIED,
        ),
        Citation(
            "ring-nct01673295",
            "RING trial (NCT01673295): rituximab for persistent lupus nephritis",
            "https://clinicaltrials.gov/study/NCT01673295",  # VERIFIED: ClinicalTrials.gov record; no results
            Verification.VERIFIED,
        ),
        Citation(
            "beat-lupus-2021",
            "Shipa et al. 2021, BEAT-LUPUS: belimumab after rituximab in SLE (randomised trial)",
            "https://doi.org/10.7326/M21-2078",  # VERIFIED: publisher URL acpjournals.org
            Verification.VERIFIED,
        ),
        Citation(
            "calibrate-2020",
            "CALIBRATE trial (NCT02260934): rituximab + cyclophosphamide, then belimumab",
            "https://clinicaltrials.gov/study/NCT02260934",  # VERIFIED: ClinicalTrials.gov record; DOI UNVERIFIED
            Verification.VERIFIED,
        ),
        Citation(
            "obinutuzumab-regency-2025",
            "Furie et al. 2025, REGENCY: obinutuzumab in active lupus nephritis",
            "https://doi.org/10.1056/NEJMoa2410965",  # VERIFIED: nephjc summary quoting the PubMed line
            Verification.VERIFIED,
        ),
        Citation(
            "multitarget-bao-2008",
            "Bao et al. 2008, Multitarget therapy for class V+IV lupus nephritis",
            "https://doi.org/10.1681/ASN.2007121272",  # VERIFIED: PubMed 18596121
            Verification.VERIFIED,
        ),
        Citation(
            "aurora1-2021",
            "Rovin et al. 2021, AURORA 1: voclosporin for lupus nephritis",
            "https://doi.org/10.1016/S0140-6736(21)00578-X",  # VERIFIED: PubMed 33971155
            Verification.VERIFIED,
        ),
        Citation(
            "extracorporeal-kronbichler-2016",
            "Kronbichler et al. 2016, Plasma exchange and immunoadsorption in SLE and APS: systematic review",
            "https://doi.org/10.1016/j.autrev.2015.08.010",  # VERIFIED: peeref and ablesci records
            Verification.VERIFIED,
        ),
        Citation(
            "plasmapheresis-lewis-1992",
            "Lewis et al. 1992, Controlled trial of plasmapheresis in severe lupus nephritis (negative)",
            "https://doi.org/10.1056/NEJM199205213262101",  # VERIFIED: PubMed 1569973
            Verification.VERIFIED,
        ),
        Citation(
            "msc-ucmsc-wang-2014",
            "Wang et al. 2014, Umbilical cord MSC transplantation in refractory SLE: multicentre study",
            "https://doi.org/10.1186/ar4520",  # VERIFIED: springermedizin link carrying the DOI
            Verification.VERIFIED,
        ),
        Citation(
            "ivig-levy-2000",
            "Levy et al. 2000, Intravenous immunoglobulin treatment of lupus nephritis",
            "https://doi.org/10.1016/S0049-0172(00)80018-9",  # VERIFIED: PubMed 10805356
            Verification.VERIFIED,
        ),
    )
}

SEED_CITATION_ID = "seed-santacruz-2023"
