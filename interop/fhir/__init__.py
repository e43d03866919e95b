"""FHIR R4 (validated with fhir.resources' R4B models, the same JSON for every resource used here)."""
