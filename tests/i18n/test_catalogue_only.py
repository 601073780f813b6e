"""No card text bypasses the catalogue: every golden story rendered with a marked catalogue has nothing unmarked.

Each template of the catalogue is wrapped in ⟦...⟧ (a pseudo-translation, as translators' tools make), the story
runs through the real app, and the marked spans are taken out, innermost first. What is left of every text a
clinician reads must be only what the catalogue cannot hold: numbers and dates as formatted for the locale, the
record's ISN/RPS class (roman numerals), punctuation and Markdown. A word left over is English typed into code.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hooks.lupus_nephritis_response.cards import words
from hooks.lupus_nephritis_response.cards.catalogue_en import EN
from hooks.lupus_nephritis_response.knowledge.citations import CITATIONS
from tests.golden_support import FOLDERS, folder_id, run_folder
from tests.i18n.support import card_texts

OPEN, CLOSE = "\u27e6", "\u27e7"
_INNERMOST = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
# Spanish long and medium dates (Babel): the only words the catalogue does not supply.
_DATE = re.compile(r"\d{1,2} de [a-z]+ de \d{4}|\d{1,2} [a-z]{3,4} \d{4}")
_ALLOWED_WORD = re.compile(r"^(?:[IVX]+)$")  # a recorded ISN/RPS class ("IV", "III+V")
# a Markdown link or image target (the service's own chart URL): an address, not words a clinician reads
_TARGET = re.compile(r"\]\([^)\s]*\)")
MARKED = {key: f"{OPEN}{text}{CLOSE}" for key, text in EN.items()}


def without_citation(label: str) -> str:
    """Returns a link label less the cited work's own label it ends with (a bibliographic title stays as
    published), and less a template mark the label's cut at 60 characters left open."""
    text = label.removesuffix("\u2026")
    for citation in CITATIONS.values():
        for cut in range(len(citation.label), 14, -1):
            if text.endswith(citation.label[:cut]):
                text = text[:-cut]
                break
    return re.sub(f"{OPEN}[^{CLOSE}]*$", " ", text)  # "⟦Order: " whose closing mark was cut with the title


def leftover(text: str) -> list[str]:
    """Returns the words of `text` outside every marked span (dates and roman numerals aside)."""
    previous = None
    while previous != text:
        previous, text = text, _INNERMOST.sub(" ", text)
    text = _DATE.sub(" ", _TARGET.sub("] ", text))
    return [w for w in re.findall(r"[^\W\d_]+", text) if not _ALLOWED_WORD.match(w)]


def test_leftover_finds_a_word_outside_the_marks() -> None:
    assert leftover(f"{OPEN}a {OPEN}b{CLOSE} c{CLOSE} 3,10 (12 de marzo de 2026) IV") == []
    assert leftover(f"{OPEN}a{CLOSE} typed") == ["typed"]


@pytest.mark.parametrize("folder", FOLDERS, ids=[folder_id(p) for p in FOLDERS])
def test_every_card_text_comes_from_the_catalogue(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(words.CATALOGUES, "es", MARKED)  # Spanish formats, marked English words
    body = run_folder(folder, language="es")["body"]
    for where, text in card_texts(body):
        if where == "diagnostics":
            continue  # the service's diagnostics: tests/i18n/test_translations.py checks their catalogue
        if where.endswith(".links.label"):
            text = without_citation(text)
        assert leftover(text) == [], (where, text)
