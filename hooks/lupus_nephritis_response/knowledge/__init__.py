"""Cited clinical knowledge of the lupus-nephritis-response service, as data: criteria sets, the next-line therapy
table (summarised in THERAPY.md), citations, and which agents start or maintain a treatment line.

Nothing here imports `rules` or `cards`: imports run `cards -> rules -> knowledge`, checked by
tests/hooks/lupus_nephritis_response/test_import_direction.py.
"""
