"""The built-in demo: a synthetic cohort, a real FHIR server holding it, and the CDS service, all on loopback.

`python -m demo` (what `make demo` runs) starts them; `python -m demo.serve` (`make serve`) starts the service
alone; `python -m demo.cohort` rewrites the cohort from the clinical stories in stories/scenarios.py. Nothing
here is imported by the service.
"""
