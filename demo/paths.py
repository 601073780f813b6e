"""Where the demo's committed files live. Kept apart from demo.cohort so that running the demo never imports the
story builders (stories/): the launcher reads only the committed cohort."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COHORT_DIR = ROOT / "demo" / "cohort"  # <patient-id>.json transaction Bundles
MANIFEST = ROOT / "demo" / "cohort-manifest.json"  # patient -> scenario -> story -> expected cards
