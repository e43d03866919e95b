"""CDS Hooks 2.0 (docs/cds-hooks.md): a `patient-view` service that screens the EHR's prefetched record and
answers with cards. auth.py verifies the caller's JWT, prefetch.py reads what the EHR sent, service.py
maps and screens it (storing nothing but the audit entry), cards.py words the answer, views.py serves the
top-level /cds-services paths (the JSON API serves the same under /api/v1/)."""
