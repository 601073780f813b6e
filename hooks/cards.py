"""Typed CDS Hooks 2.0 card models, with the spec's invariants enforced on construction.

These live in `hooks/` (not `service/`) because rendering cards is a pure step of each hook; `service/` only
serialises what `render` returns. Spec: https://cds-hooks.hl7.org/2.0/#cds-service-response
Serialisation omits None and empty members: the only empty value the spec allows is `{"cards": []}`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

SUMMARY_MAX_CHARS = 140  # spec: "summary ... SHOULD be under a 140-character limit"

Json = dict[str, Any]


class Indicator(StrEnum):
    """Card urgency. https://cds-hooks.hl7.org/2.0/#card-attributes"""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


INDICATOR_ORDER = {Indicator.CRITICAL: 0, Indicator.WARNING: 1, Indicator.INFO: 2}


def _absolute_url(url: str, what: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{what} must be an absolute http(s) URL")


@dataclass(frozen=True, slots=True)
class Coding:
    """A Coding as CDS Hooks uses it (overrideReasons, source.topic): system, code and display all required."""

    system: str
    code: str
    display: str

    def __post_init__(self) -> None:
        if not (self.system and self.code and self.display):
            raise ValueError("Coding needs system, code and display")

    def to_json(self) -> Json:
        return {"system": self.system, "code": self.code, "display": self.display}


@dataclass(frozen=True, slots=True)
class Source:
    """https://cds-hooks.hl7.org/2.0/#source -- label required; url names the guidance the card rests on."""

    label: str
    url: str | None = None
    topic: Coding | None = None

    def __post_init__(self) -> None:
        if not self.label.strip():
            raise ValueError("source.label is required")
        if self.url is not None:
            _absolute_url(self.url, "source.url")

    def to_json(self) -> Json:
        out: Json = {"label": self.label}
        if self.url:
            out["url"] = self.url
        if self.topic:
            out["topic"] = self.topic.to_json()
        return out


@dataclass(frozen=True, slots=True)
class Link:
    """https://cds-hooks.hl7.org/2.0/#link -- only absolute links are produced by this service."""

    label: str
    url: str
    type: str = "absolute"

    def __post_init__(self) -> None:
        if not self.label.strip():
            raise ValueError("link.label is required")
        if self.type not in ("absolute", "smart"):
            raise ValueError("link.type must be absolute or smart")
        _absolute_url(self.url, "link.url")

    def to_json(self) -> Json:
        return {"label": self.label, "url": self.url, "type": self.type}


@dataclass(frozen=True, slots=True)
class Action:
    """https://cds-hooks.hl7.org/2.0/#action -- create/update carry a resource, delete a resourceId."""

    type: str
    description: str
    resource: Mapping[str, Any] | None = None
    resource_id: str | None = None

    def __post_init__(self) -> None:
        if self.type not in ("create", "update", "delete"):
            raise ValueError("action.type must be create, update or delete")
        if not self.description.strip():
            raise ValueError("action.description is required")
        if self.type in ("create", "update") and (self.resource is None or "resourceType" not in self.resource):
            raise ValueError(f"a {self.type} action needs a resource with resourceType")
        if self.type == "delete" and not self.resource_id:
            raise ValueError("a delete action needs resourceId")

    def to_json(self) -> Json:
        out: Json = {"type": self.type, "description": self.description}
        if self.resource is not None:
            out["resource"] = dict(self.resource)
        if self.resource_id:
            out["resourceId"] = self.resource_id
        return out


@dataclass(frozen=True, slots=True)
class Suggestion:
    """https://cds-hooks.hl7.org/2.0/#suggestion -- every suggestion has a uuid so feedback can name it."""

    label: str
    uuid: str
    actions: tuple[Action, ...] = ()
    is_recommended: bool | None = None
    # What the suggestion proposes, as a stable id such as "repeat-biopsy" or "tacrolimus-trough": stored with its
    # uuid so an accepted suggestion can be told apart in reports; not on the wire.
    kind: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.label.strip():
            raise ValueError("suggestion.label is required")
        if not self.uuid:
            raise ValueError("suggestion.uuid is required (feedback names accepted suggestions by it)")

    def to_json(self) -> Json:
        out: Json = {"label": self.label, "uuid": self.uuid}
        if self.is_recommended is not None:
            out["isRecommended"] = self.is_recommended
        if self.actions:
            out["actions"] = [a.to_json() for a in self.actions]
        return out


@dataclass(frozen=True, slots=True)
class Chart:
    """An image a card links (issue 15): the service keeps what `render` returns under `id`. Not on the wire.

    `render` is a pure closure, called by the service when it chooses (docs/chart.md), not while cards are built.
    """

    id: str
    render: Callable[[], str] = field(repr=False)


@dataclass(frozen=True, slots=True)
class Card:
    """https://cds-hooks.hl7.org/2.0/#card-attributes"""

    uuid: str
    summary: str
    indicator: Indicator
    source: Source
    detail: str | None = None
    suggestions: tuple[Suggestion, ...] = ()
    selection_behavior: str | None = None
    override_reasons: tuple[Coding, ...] = ()
    links: tuple[Link, ...] = ()
    rule_id: str = field(default="", compare=False)  # for deterministic ordering and audit logs; not on the wire
    criteria_set: str = field(default="", compare=False)  # the criteria set the rule read, for the store; off the wire
    chart: Chart | None = field(default=None, compare=False)  # an image to keep for the card's chart link; off the wire

    def __post_init__(self) -> None:
        if not self.uuid:
            raise ValueError("card.uuid is required (feedback names the card by it)")
        if not self.summary.strip():
            raise ValueError("card.summary is required")
        if len(self.summary) >= SUMMARY_MAX_CHARS:
            raise ValueError(f"card.summary must be under {SUMMARY_MAX_CHARS} characters")
        if not isinstance(self.indicator, Indicator):
            raise ValueError("card.indicator must be info, warning or critical")
        if self.suggestions and self.selection_behavior is None:
            raise ValueError("card.selectionBehavior is required when there are suggestions")
        if self.selection_behavior not in (None, "at-most-one", "any"):
            raise ValueError("card.selectionBehavior must be at-most-one or any")
        if self.selection_behavior == "at-most-one" and sum(bool(s.is_recommended) for s in self.suggestions) > 1:
            raise ValueError("at most one suggestion may be recommended with selectionBehavior at-most-one")
        if len({s.uuid for s in self.suggestions}) != len(self.suggestions):
            raise ValueError("suggestion uuids must be unique within a card")

    def to_json(self) -> Json:
        out: Json = {
            "uuid": self.uuid,
            "summary": self.summary,
            "indicator": self.indicator.value,
            "source": self.source.to_json(),
        }
        if self.detail:
            out["detail"] = self.detail
        if self.suggestions:
            out["suggestions"] = [s.to_json() for s in self.suggestions]
            out["selectionBehavior"] = self.selection_behavior
        if self.override_reasons:
            out["overrideReasons"] = [r.to_json() for r in self.override_reasons]
        if self.links:
            out["links"] = [link.to_json() for link in self.links]
        return out


def sort_cards(cards: list[Card]) -> list[Card]:
    """Returns the cards ordered by severity, then rule id (deterministic output, STYLE #18)."""
    return sorted(cards, key=lambda c: (INDICATOR_ORDER[c.indicator], c.rule_id))


def response_json(cards: list[Card]) -> Json:
    """Returns the CDS Hooks response body; `{"cards": []}` when there is nothing to say."""
    uuids = [c.uuid for c in cards]
    if len(set(uuids)) != len(uuids):
        raise ValueError("card uuids must be unique within a response")
    return {"cards": [c.to_json() for c in sort_cards(cards)]}
