"""The /api/v1/ operations. Each checks the caller's role with the tuples the pages use, then calls the same
service the page calls; a refusal reads as the page says it (409 {"error"}), bad input as 400 by path.
Importing the operation modules registers them on the router."""

from . import audit, cds_hooks, fhir, fhir_import, intake, measures, pdf, rules, screenings  # noqa: F401 (each registers its operations)
from .common import Invalid, Refused, router

__all__ = ["Invalid", "Refused", "router"]
