"""The synthetic clinical stories behind the golden fixtures and the demo cohort, and the FHIR builders they use.

One home for both consumers: scripts/build_fixtures.py writes cards_fixtures/ from them and demo/cohort.py writes
demo/cohort/ from them. Developer data, never shipped and never imported by the service.
"""
