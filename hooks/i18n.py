"""The languages the service speaks, and how a gettext catalogue becomes the translation of a source catalogue.

English is the source language: each service keeps its English texts in code, by key, and a translator keeps
`<lang>/LC_MESSAGES/<domain>.po` (msgctxt = the key, msgid = the English text, msgstr = the translation). The .po
files are read with Babel's `read_po` when the package is imported -- no compiled .mo is built or committed, so an
installed package needs only its .po files (package-data in pyproject.toml). `make i18n` (scripts/i18n.py) writes
the .pot from the English catalogue and merges it into each .po.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from babel.messages.pofile import read_po

DEFAULT_LOCALE = "en"
# Every language a card, a discovery text or an OperationOutcome can be written in (CDS_LANGUAGE, Accept-Language,
# the `org.example.ln-cds.language` request extension).
SUPPORTED_LOCALES = ("en", "es")


def po_path(locale_dir: Path, locale: str, domain: str) -> Path:
    """Returns where the `domain` catalogue of `locale` lives under `locale_dir`."""
    return locale_dir / locale / "LC_MESSAGES" / f"{domain}.po"


def read_translations(path: Path, source: Mapping[str, str]) -> dict[str, str]:
    """Returns key -> translated text for every entry of the .po at `path` that translates `source` as it is now.

    An entry counts only when its msgctxt is a key of `source`, its msgid is that key's current English text (a
    stale translation of an English text since changed is not used), it is not fuzzy and its msgstr is not empty.
    A missing file gives no translations; every key left out falls back to English (the tests name each one).
    """
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=path.parent.parent.name)
    out: dict[str, str] = {}
    for message in catalog:
        key = message.context
        if key is None or key not in source or message.fuzzy or not isinstance(message.string, str):
            continue
        if message.id == source[key] and message.string:
            out[key] = message.string
    return out
