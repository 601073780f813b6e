"""`make i18n`: write each English catalogue to its .pot and merge the .pot into every translation's .po.

Catalogues (English source -> template -> translations):
- cards: `hooks.lupus_nephritis_response.cards.catalogue_en.EN` -> `hooks/lupus_nephritis_response/cards/locale/`
- service errors: `service.errors.DIAGNOSTICS` -> `service/locale/` (domain `errors`)

Each entry is msgctxt = the key, msgid = the English text, with the key as an extracted comment. After the merge a
new key has an empty msgstr, a key whose English text changed keeps its old translation marked fuzzy, and a key
that is gone is dropped; tests/i18n/test_translations.py then names every key left to translate or review.
`python -m scripts.i18n --check` exits 1 when a file would change (the tests use the same comparison).
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from hooks.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES, po_path
from hooks.lupus_nephritis_response.cards import translations as cards
from hooks.lupus_nephritis_response.cards.catalogue_en import EN
from service import errors

# Fixed dates: a rerun with no English change rewrites no file.
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
PROJECT = "ln-cds"
COPYRIGHT = "the ln-cds authors"
WIDTH = 116  # the house line length less the quotes


def catalogues() -> list[tuple[str, Mapping[str, str], Path]]:
    """Returns (domain, English source, locale folder) for every catalogue of the project."""
    return [
        (cards.DOMAIN, EN, cards.LOCALE_DIR),
        (errors.DOMAIN, errors.DIAGNOSTICS, errors.LOCALE_DIR),
    ]


def template(source: Mapping[str, str]) -> Catalog:
    """Returns the .pot catalogue of `source`: one entry per key, in the source's order."""
    pot = Catalog(project=PROJECT, copyright_holder=COPYRIGHT, creation_date=_EPOCH, revision_date=_EPOCH, fuzzy=False)
    for key, text in source.items():
        pot.add(text, context=key, auto_comments=[key])
    return pot


def render(catalog: Catalog) -> bytes:
    """Returns the .po text of `catalog` (wrapped at WIDTH, obsolete entries dropped)."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=WIDTH, ignore_obsolete=True, include_previous=True)
    return buffer.getvalue()


def merged(source: Mapping[str, str], path: Path, locale: str) -> Catalog:
    """Returns the translation at `path` updated to the template of `source` (an empty catalogue if none yet)."""
    if path.is_file():
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
    else:
        catalog = Catalog(
            locale=locale,
            project=PROJECT,
            copyright_holder=COPYRIGHT,
            creation_date=_EPOCH,
            revision_date=_EPOCH,
            fuzzy=False,
        )
    catalog.update(template(source), update_header_comment=False)
    catalog.creation_date = _EPOCH
    catalog.revision_date = _EPOCH
    return catalog


def planned() -> dict[Path, bytes]:
    """Returns every .pot and .po file as `make i18n` would write it."""
    out: dict[Path, bytes] = {}
    for domain, source, folder in catalogues():
        out[folder / f"{domain}.pot"] = render(template(source))
        for locale in SUPPORTED_LOCALES:
            if locale != DEFAULT_LOCALE:
                path = po_path(folder, locale, domain)
                out[path] = render(merged(source, path, locale))
    return out


def entries(text: bytes) -> list[tuple[str | None, str, str, bool]]:
    """Returns (msgctxt, msgid, msgstr, fuzzy) per entry of a .po/.pot text, in order: what a comparison of two
    files should look at (the header names the Babel version, which may differ between machines)."""
    catalog = read_po(io.BytesIO(text))
    return [(m.context, str(m.id), str(m.string or ""), m.fuzzy) for m in catalog if m.id]


def stale() -> list[Path]:
    """Returns the files whose entries `make i18n` would change."""
    return [
        path for path, text in planned().items() if not path.is_file() or entries(path.read_bytes()) != entries(text)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a .pot or .po is out of date")
    args = parser.parse_args(argv)
    if args.check:
        paths = stale()
        for path in paths:
            print(f"out of date: {path} (run make i18n)", file=sys.stderr)
        return 1 if paths else 0
    for path, text in planned().items():
        if not path.is_file() or path.read_bytes() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text)
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
