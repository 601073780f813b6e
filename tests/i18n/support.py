"""Shared by the issue-16 tests: the clinician-facing texts of a CDS Hooks answer, and English that must not be
in a Spanish card."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# Words of the English catalogue that no Spanish card text uses (checked on every Spanish golden).
ENGLISH_WORDS = re.compile(
    r"\b(the|and|after|with|without|not|reached|months?|review|baseline|current|kidney|recorded|check|needs|since|"
    r"before|options?|draft|trough|level|response|partial|complete|improvement|watch|relapse|pregnancy|order)\b",
    re.IGNORECASE,
)


def card_texts(body: Any) -> Iterator[tuple[str, str]]:
    """Yields (where, text) for every text of a CDS Hooks answer a clinician reads: summary, detail, source label,
    link labels (less the citation they name, which is bibliographic), suggestion labels, action descriptions, the
    texts of the draft ServiceRequests, override reason displays, and an OperationOutcome's diagnostics."""
    for issue in body.get("issue", []) if isinstance(body, dict) else []:
        yield "diagnostics", issue["diagnostics"]
    for i, card in enumerate(body.get("cards", []) if isinstance(body, dict) else []):
        yield f"cards[{i}].summary", card["summary"]
        yield f"cards[{i}].detail", card.get("detail", "")
        yield f"cards[{i}].source.label", card["source"]["label"]
        for link in card.get("links", []):
            yield f"cards[{i}].links.label", link["label"]
        for suggestion in card.get("suggestions", []):
            yield f"cards[{i}].suggestions.label", suggestion["label"]
            for action in suggestion.get("actions", []):
                yield f"cards[{i}].actions.description", action["description"]
                resource = action.get("resource", {})
                yield f"cards[{i}].actions.resource.code.text", resource.get("code", {}).get("text", "")
                for reason in resource.get("reasonCode", []):
                    yield f"cards[{i}].actions.resource.reasonCode.text", reason["text"]
                for note in resource.get("note", []):
                    yield f"cards[{i}].actions.resource.note.text", note["text"]
        for reason in card.get("overrideReasons", []):
            yield f"cards[{i}].overrideReasons.display", reason["display"]
