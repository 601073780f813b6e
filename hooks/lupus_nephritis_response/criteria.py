"""Compatibility path for `service/settings.py`, which still reads the criteria-set ids from here.

The criteria sets live in `knowledge/criteria_sets.py`; remove this module once the per-service config (issue 9,
item 2) stops `service/settings.py` from importing hooks.
"""

from hooks.lupus_nephritis_response.knowledge.criteria_sets import (
    CRITERIA_SETS,
    DEFAULT_CRITERIA_SET,
    UnknownCriteriaSet,
    get_criteria_set,
)

__all__ = ["CRITERIA_SETS", "DEFAULT_CRITERIA_SET", "UnknownCriteriaSet", "get_criteria_set"]
