"""CDS cards of the lupus-nephritis-response service: findings (`rules.assessment.Assessment`) to cards, with every
clinician-facing word from the catalogue (`words`), bound once per render.
"""
