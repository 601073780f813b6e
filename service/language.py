"""Which language one hook call's cards (and its errors) are written in.

Order, first that names a supported language wins: the request extension `org.example.ln-cds.language` (a
language tag, "es" or "es-CO"; CDS Hooks 2.0 "Extensions" asks for globally unique, reverse-domain names), then
the `Accept-Language` header (RFC 9110 section 12.5.4, quality values honoured), then the site's CDS_LANGUAGE. A
value naming no supported language falls back to the next source and is logged (the tag only, cut short: these
are client-supplied texts, never patient data, but they are bounded all the same).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

logger = logging.getLogger(__name__)

LANGUAGE_EXTENSION = "org.example.ln-cds.language"
_TAG = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$")
_LOGGED_CHARS = 35  # the longest tag worth logging; anything longer is cut


@dataclass(frozen=True, slots=True)
class LanguageChoice:
    """The chosen language and where it came from ("extension", "accept-language" or "site")."""

    language: str
    source: str


def primary(tag: str, supported: Sequence[str]) -> str | None:
    """Returns the supported language a tag names ("es-CO" -> "es"), or None."""
    if not _TAG.match(tag):
        return None
    language = re.split(r"[-_]", tag, maxsplit=1)[0].lower()
    return language if language in supported else None


def _fallback(source: str, value: object, site: str) -> None:
    shown = value[:_LOGGED_CHARS] if isinstance(value, str) and _TAG.match(value[:_LOGGED_CHARS]) else "(not a tag)"
    logger.warning(
        "language_fallback source=%s value=%s language=%s",
        source,
        shown,
        site,
        extra={"cds": {"event": "language_fallback", "source": source, "value": shown, "language": site}},
    )


def choose_language(site: str, supported: Sequence[str], body: Any, accept_language: str | None) -> LanguageChoice:
    """Returns the language of one call: the request extension, else Accept-Language, else the site's.

    `body` is the raw hook request (a dict once validated); an extension or header that names no supported
    language is logged and the next source decides.
    """
    extension = body.get("extension") if isinstance(body, Mapping) else None
    if isinstance(extension, Mapping) and LANGUAGE_EXTENSION in extension:
        value = extension[LANGUAGE_EXTENSION]
        chosen = primary(value, supported) if isinstance(value, str) else None
        if chosen is not None:
            return LanguageChoice(chosen, "extension")
        _fallback("extension", value, site)
    if accept_language and accept_language.strip():
        offered = parse_accept_header(accept_language, LanguageAccept)
        for tag, quality in offered:
            chosen = primary(tag, supported) if quality > 0 else None
            if chosen is not None:
                return LanguageChoice(chosen, "accept-language")
        if not any(tag == "*" for tag, _ in offered):
            _fallback("accept-language", accept_language, site)
    return LanguageChoice(site, "site")
