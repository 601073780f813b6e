"""Pure rules of the lupus-nephritis-response service: `PatientData` in, typed findings out (`assessment.assess`).

No I/O, no clock, no words: rules read `knowledge` and never import `cards`.
"""
