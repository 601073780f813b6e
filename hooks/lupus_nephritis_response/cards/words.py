"""The words of one render: `Words`, bound once to the request's locale, with a typed accessor per key family.

Cards never build a catalogue key from a string of their own: they ask `words.agent(a)`, `words.criterion(c)`,
`words.therapy(option).name`, ... and the accessor knows the key. Every enum value and table id these accessors
take has its entries in the English catalogue (checked in tests/hooks/lupus_nephritis_response/cards/
test_words.py), so a missing key is a test failure, never a KeyError at a patient's bedside.

Translations are gettext catalogues (`locale.py`: `cards/locale/<lang>/LC_MESSAGES/messages.po`, msgctxt = the
key, msgid = the English text), read with Babel at import; a translator edits the .po, never the code. A locale
without a catalogue, or a key a translation lacks (or has only as fuzzy), falls back to English; the tests fail on
either. Numbers, percentages and dates are formatted here too (`Words.amount`, `.pct`, `.day`): English keeps the
house formats (`3.10`, `\u221216%`, ISO dates with non-breaking hyphens), other locales use CLDR through Babel
(`3,10`, `\u221216 %`, `12 de marzo de 2026`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date
from babel.numbers import format_decimal

from fhir_maps.domain import Agent, LabConcept
from hooks.lupus_nephritis_response.cards.catalogue_en import EN
from hooks.lupus_nephritis_response.cards.translations import DEFAULT_LOCALE, SUPPORTED_LOCALES, translations
from hooks.lupus_nephritis_response.knowledge.criteria_sets import Checkpoint, CriteriaSet, Level
from hooks.lupus_nephritis_response.knowledge.therapy_table import EvidenceLevel, TherapyOption
from hooks.lupus_nephritis_response.rules.assessment import Missing
from hooks.lupus_nephritis_response.rules.checklist import Check, ItemState
from hooks.lupus_nephritis_response.rules.clinical_response import Unassessed
from hooks.lupus_nephritis_response.rules.measures import KidneyMethod, KidneyState, SedimentState
from hooks.lupus_nephritis_response.rules.next_line import BiopsyReason, CautionKey

MINUS = "\u2212"  # a true minus sign (U+2212), as in "-16%" typeset
# The two kinds of proteinuria, as their catalogue keys ("measure.upcr", "unit.protein-24h"); "mixed" names both.
PROTEINURIA_KINDS = {LabConcept.UPCR: "upcr", LabConcept.PROTEIN_24H: "protein-24h"}


def proteinuria_kind(concept: LabConcept) -> str:
    """Returns the catalogue key suffix of a proteinuria result: "protein-24h" for a 24-h protein, else "upcr"."""
    return PROTEINURIA_KINDS.get(concept, "upcr")


@dataclass(frozen=True, slots=True)
class TherapyWords:
    """The words of one therapy option: its name, short name (summaries), regimen and evidence detail."""

    name: str
    short: str
    regimen: str
    evidence: str


@dataclass(frozen=True, slots=True)
class Words:
    """The catalogue of one locale, with English behind it. Made once per render (`words_for(ctx.locale)`)."""

    locale: str
    catalogue: Mapping[str, str]

    def amount(self, value: Decimal, places: int = 2) -> str:
        """Returns `value` rounded half-up to `places` decimals: "3.10" in English, "3,10" in Spanish."""
        if self.locale not in TRANSLATED:
            return fmt_amount(value, places)
        rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        pattern = "#,##0" + ("." + "0" * places if places > 0 else "")
        # CLDR Spanish groups thousands only from five digits on (minimumGroupingDigits 2): "2000 mg", "12.500"
        return format_decimal(rounded, format=pattern, locale=self.locale, group_separator=abs(rounded) >= 10_000)

    def pct(self, fraction: Decimal, signed: bool = True) -> str:
        """Returns a fraction as a whole percentage with a true minus: "\u221216%" in English, "\u221216 %" in
        Spanish (CLDR puts a no-break space before the sign)."""
        if self.locale not in TRANSLATED:
            return fmt_pct(fraction, signed)
        return fmt_pct(fraction, signed).replace("%", "\u00a0%")

    def day(self, day: date) -> str:
        """Returns a date: ISO with non-breaking hyphens in English, the CLDR long form elsewhere
        ("12 de marzo de 2026")."""
        if self.locale not in TRANSLATED:
            return fmt_date(day)
        return format_date(day, format="long", locale=self.locale)

    def short_day(self, day: date) -> str:
        """Returns a date for a summary, where every character counts: ISO in English (as `day`), the CLDR
        medium form elsewhere ("12 mar 2026")."""
        if self.locale not in TRANSLATED:
            return fmt_date(day)
        return format_date(day, format="medium", locale=self.locale)

    def t(self, key: str, /, **values: object) -> str:
        """Returns the template `key` (English as fallback) filled with `values`."""
        template = self.catalogue.get(key) or EN[key]
        return template.format(**values)

    def join(self, items: Sequence[str]) -> str:
        """Returns "a, b and c"."""
        if len(items) <= 1:
            return "".join(items)
        return self.t("list.and", head=self.t("list.sep").join(items[:-1]), last=items[-1])

    def months(self, n: int) -> str:
        """Returns "1 month", "7 months" or "less than 1 month"."""
        if n < 1:
            return self.t("months.less")
        return self.t("months.one") if n == 1 else self.t("months.many", n=n)

    def agent(self, agent: Agent) -> str:
        """Returns an agent's name ("mycophenolate mofetil")."""
        return self.t(f"agent.{agent.value}")

    def combination(self, agents: Sequence[Agent]) -> str:
        """Returns agents given together: "mycophenolate mofetil + belimumab"."""
        return " + ".join(self.agent(a) for a in agents)

    def agent_list(self, agents: Sequence[Agent]) -> str:
        """Returns agents as a list: "tacrolimus and cyclosporine"."""
        return self.join([self.agent(a) for a in agents])

    def criteria_set(self, cs: CriteriaSet) -> str:
        """Returns the display name of a criteria set."""
        return self.t(f"set.{cs.id}")

    def criterion(self, c: Checkpoint) -> str:
        """Returns a missed checkpoint as a refractory criterion ("partial response not reached")."""
        return self.t(f"criterion.{c.key}")

    def target(self, c: Checkpoint) -> str:
        """Returns what a checkpoint asks for ("A partial response")."""
        return self.t(f"target.{c.key}")

    def milestone_met(self, c: Checkpoint) -> str | None:
        """Returns "6-month milestone met" for a milestone checkpoint, None for a checkpoint that is no milestone."""
        key = f"met.{c.key}"
        return self.t(key) if key in EN else None

    def missing_short(self, missing: Missing) -> str:
        """Returns what is missing, for a "cannot assess" summary ("no baseline proteinuria")."""
        return self.t(f"missing-short.{missing.value}")

    def level(self, level: Level) -> str:
        """Returns the name of a response class."""
        return self.t(f"level.{int(level)}")

    def unassessed(self, u: Unassessed) -> str:
        """Returns what a class met by proteinuria only could not check ("kidney function")."""
        return self.t(f"unassessed.{u.value}")

    def measure(self, kind: str) -> str:
        """Returns the name of a proteinuria kind ("UPCR"); `kind` is a PROTEINURIA_KINDS value or "mixed"."""
        return self.t(f"measure.{kind}")

    def unit(self, kind: str) -> str:
        """Returns the unit of a proteinuria kind ("g/g"); `kind` is a PROTEINURIA_KINDS value or "mixed"."""
        return self.t(f"unit.{kind}")

    def censored(self, concept: LabConcept, value: str) -> str:
        """Returns "UPCR reported as < 0.10 g/g"."""
        return self.t(f"censored.{concept.value}", value=value)

    def kidney_method(self, method: KidneyMethod | None) -> str:
        """Returns the row label of a kidney-function method ("eGFR (mL/min/1.73 m²)")."""
        return self.t(f"kidney.{method.value}" if method else "kidney.none")

    def kidney_state(self, state: KidneyState, **values: object) -> str:
        """Returns the status cell of kidney function."""
        return self.t(f"kidney-state.{state.value}", **values)

    def sediment_state(self, state: SedimentState) -> str:
        """Returns the status cell of the urinary sediment."""
        return self.t(f"sediment-state.{state.value}")

    def check(self, key: Check, **values: object) -> str:
        """Returns the text of a review-checklist item."""
        return self.t(f"check.{key.value}", **values)

    def checklist_line(self, state: ItemState, text: str) -> str:
        """Returns a checklist item as a Markdown bullet that says how it stands ("- **Flagged:** ...")."""
        return self.t(f"state.{state.value}", text=text)

    def caution(self, key: CautionKey, **values: object) -> str:
        """Returns a caution of the next-line card."""
        return self.t(f"caution.{key.value}", **values)

    def therapy(self, option: TherapyOption) -> TherapyWords:
        """Returns the words of a therapy option."""
        key = f"therapy.{option.id}"
        return TherapyWords(
            self.t(f"{key}.name"), self.t(f"{key}.short"), self.t(f"{key}.regimen"), self.t(f"{key}.evidence")
        )

    def why(self, reason_key: str) -> str:
        """Returns why an option fits this patient; `reason_key` is a `why.*` key from the therapy table."""
        return self.t(reason_key)

    def evidence_level(self, level: EvidenceLevel) -> str:
        """Returns the design of the best study behind an option."""
        return self.t(f"evidence.{level.value}")

    def guideline(self, citation_id: str) -> str:
        """Returns the short name of a guideline behind the therapy order (a THERAPY_GUIDELINES id)."""
        return self.t(f"guideline.{citation_id}")

    def biopsy_reason(self, reason: BiopsyReason) -> str:
        """Returns why a repeat biopsy is due."""
        return self.t(f"biopsy.{reason.value}")

    def override(self, code: str) -> str:
        """Returns the display of an override reason (an override_reasons.OVERRIDE_CODES code)."""
        return self.t(f"override.{code}")


# the locales with a translation: their numbers and dates follow CLDR (Babel); any other gets the English forms
TRANSLATED = frozenset(SUPPORTED_LOCALES) - {DEFAULT_LOCALE}
# locale -> its catalogue: English, then each translation with English behind every key it lacks
CATALOGUES: dict[str, Mapping[str, str]] = {
    DEFAULT_LOCALE: EN,
    **{locale: {**EN, **translations(locale, EN)} for locale in TRANSLATED},
}


def words_for(locale: str) -> Words:
    """Returns the words of `locale`; a locale without a catalogue gets English words and formats."""
    return Words(locale, CATALOGUES.get(locale, EN))


ENGLISH = words_for(DEFAULT_LOCALE)


def cap(text: str) -> str:
    """Returns `text` with its first letter upper-cased (for a phrase that starts a sentence)."""
    return text[:1].upper() + text[1:]


def fmt_amount(value: Decimal, places: int = 2) -> str:
    """Returns `value` rounded half-up to `places` decimals ("3.10")."""
    return str(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def fmt_pct(fraction: Decimal, signed: bool = True) -> str:
    """Returns a fraction as a whole percentage, signed with a true minus (U+2212), "+5%" or "0%"."""
    whole = (abs(fraction) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if not signed or whole == 0:
        return f"{whole}%"
    return f"{MINUS if fraction < 0 else '+'}{whole}%"


# U+2011 NON-BREAKING HYPHEN: a 560-px card column (CDS Hooks Sandbox) wrapped ISO dates at their hyphens.
DATE_HYPHEN = "\u2011"


def fmt_date(day: date) -> str:
    """Returns an ISO date (unambiguous in every locale) whose hyphens do not break across lines."""
    return day.isoformat().replace("-", DATE_HYPHEN)
