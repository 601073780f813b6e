"""The lupus nephritis service's own settings: `CDS_LN_*` variables, read and checked once at startup.

Older names (before each service had its own prefix) are still read, so no deployment breaks: CDS_CRITERIA_SET,
CDS_STATUS_CARD and CDS_SUPPORTIVE_CARD. When both the new and the old name are set, the new name wins.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field, field_validator

from hooks.env_config import EnvConfig, Switch
from hooks.lupus_nephritis_response.knowledge.criteria_sets import CRITERIA_SETS, DEFAULT_CRITERIA_SET

__all__ = ["DEFAULT_CRITERIA_SET", "LupusNephritisConfig"]


class LupusNephritisConfig(EnvConfig):
    """Which response criteria set the rules use, and the two optional cards."""

    criteria_set: str = Field(
        DEFAULT_CRITERIA_SET, validation_alias=AliasChoices("CDS_LN_CRITERIA_SET", "CDS_CRITERIA_SET")
    )
    show_status_card: Switch = Field(True, validation_alias=AliasChoices("CDS_LN_SHOW_STATUS_CARD", "CDS_STATUS_CARD"))
    show_supportive_card: Switch = Field(
        True, validation_alias=AliasChoices("CDS_LN_SHOW_SUPPORTIVE_CARD", "CDS_SUPPORTIVE_CARD")
    )

    @field_validator("criteria_set")
    @classmethod
    def _known_set(cls, value: str) -> str:
        if value not in CRITERIA_SETS:
            raise ValueError(f"{value!r} is not a known criteria set; use one of {', '.join(sorted(CRITERIA_SETS))}")
        return value
