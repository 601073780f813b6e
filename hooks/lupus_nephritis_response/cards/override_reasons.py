"""The one catalogue of override reasons (card.overrideReasons), and which of them each card offers.

CDS Hooks 2.0: override reasons are a Card member (a list of Codings); the one the clinician picks comes back in
feedback as `overrideReason.reason`. Displays are in the catalogue under `override.<code>` (`Words.override`).
"""

from __future__ import annotations

from hooks.cards import Coding
from hooks.lupus_nephritis_response.cards.words import Words

OVERRIDE_SYSTEM = "https://ln-cds.example.org/CodeSystem/override-reason"
OVERRIDE_CODES = (
    "specialist-review",
    "patient-declined",
    "not-refractory",
    "data-incomplete",
    "contraindicated",
    "recorded-elsewhere",
)
REVIEW_REASONS = ("specialist-review", "patient-declined", "not-refractory", "data-incomplete")
THERAPY_REASONS = ("specialist-review", "patient-declined", "not-refractory", "contraindicated")
SUPPORTIVE_REASONS = ("patient-declined", "contraindicated", "recorded-elsewhere")
# the drug was already stopped, or pregnancy is no longer current: "recorded-elsewhere"; a specialist decision
SAFETY_REASONS = ("specialist-review", "recorded-elsewhere", "data-incomplete")


def override_reasons(words: Words, codes: tuple[str, ...] = REVIEW_REASONS) -> tuple[Coding, ...]:
    """Returns the Codings for `codes` (each must be in the catalogue), with their displays from `words`."""
    unknown = set(codes) - set(OVERRIDE_CODES)
    if unknown:
        raise ValueError(f"override reasons not in the catalogue: {sorted(unknown)}")
    return tuple(Coding(OVERRIDE_SYSTEM, code, words.override(code)) for code in codes)
