"""The CDS services this app offers: one declarative registry (discovery and routing both come from it)."""

from __future__ import annotations

from typing import Any

from hooks.lupus_nephritis_response import SPEC as LUPUS_NEPHRITIS_RESPONSE
from hooks.spec import CdsServiceSpec

REGISTRY: tuple[CdsServiceSpec[Any], ...] = (LUPUS_NEPHRITIS_RESPONSE,)
