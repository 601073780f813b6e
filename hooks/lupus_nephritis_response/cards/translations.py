"""Where the card catalogues' translations live: `locale/<lang>/LC_MESSAGES/messages.po` beside this module, with
`locale/messages.pot` as the template (`make i18n` rewrites both from `catalogue_en.EN`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from hooks.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES, po_path, read_translations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"

__all__ = ["DEFAULT_LOCALE", "DOMAIN", "LOCALE_DIR", "SUPPORTED_LOCALES", "translations"]


def translations(locale: str, source: Mapping[str, str]) -> dict[str, str]:
    """Returns key -> text of `locale` for the keys of `source` its catalogue translates."""
    return read_translations(po_path(LOCALE_DIR, locale, DOMAIN), source)
