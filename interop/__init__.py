"""Interoperability: FHIR R4 export and import of the intake and the screening, and a CDS Hooks service.

Every path here maps FHIR onto the product's own `ketamine-intake/1` document and then calls the same
services as the page, the API and the command line (patients.services.intake_import,
screening.services.intake_evaluate); nothing here writes a record by itself.
"""
