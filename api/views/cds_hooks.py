"""CDS Hooks 2.0 under /api/v1/cds-services (docs/cds-hooks.md), in the OpenAPI schema: discovery (public, no
patient data), a patient-view call answered with cards, and feedback on the cards. The same three are
served at the top-level paths the specification fixes (/cds-services..., interop/cds_hooks/views.py) by
the same services. The caller is a CDS client (an EHR) with a signed JWT, never a user's token."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer

from interop.cds_hooks.auth import REFUSED, CdsUnauthorized, cds_client
from interop.cds_hooks.prefetch import PrefetchMissing
from interop.cds_hooks.schemas import Cards, Discovery, Feedback, FeedbackRecorded, HookCall
from interop.cds_hooks.service import (
    NO_SUCH_SERVICE,
    CallInvalid,
    cds_feedback_record,
    cds_service_call,
    discovery,
    service_known,
)

from ..schemas import ErrorOut, InvalidOut
from .common import Invalid, router


class CdsHooksJwt(HttpBearer):
    """A JWT signed by a trusted CDS client (settings.CDS_HOOKS_ISSUERS), its `aud` the URL called."""

    openapi_bearerFormat = "JWT"

    def __call__(self, request: HttpRequest):
        try:
            return cds_client(request)
        except CdsUnauthorized:
            raise HttpError(401, REFUSED) from None

    def authenticate(self, request: HttpRequest, token: str):  # pragma: no cover (__call__ reads the header)
        return None


CDS_CLIENT = CdsHooksJwt()
REFUSALS = {400: InvalidOut, 401: ErrorOut, 404: ErrorOut, 413: ErrorOut}
PRECONDITION = {412: ErrorOut}  # a required prefetch not sent (CDS Hooks: SHALL answer 412)
TAGS = ["CDS Hooks"]


def _known(service_id: str) -> None:
    if not service_known(service_id):
        raise HttpError(404, NO_SUCH_SERVICE)


@router.get(
    "/cds-services",
    auth=None,
    response={200: Discovery},
    exclude_none=True,
    summary="CDS Hooks discovery: the services, their hooks and prefetch templates (public, no patient data)",
    tags=TAGS,
)
def cds_discovery(request: HttpRequest):
    return discovery()


@router.post(
    "/cds-services/{service_id}",
    auth=CDS_CLIENT,
    response={200: Cards, **REFUSALS, **PRECONDITION},
    exclude_none=True,
    summary="CDS Hooks call (patient-view): screen the prefetched record and answer with cards; nothing is stored",
    tags=TAGS,
)
def cds_call(request: HttpRequest, service_id: str, payload: HookCall):
    _known(service_id)
    try:
        return cds_service_call(request=request, service_id=service_id, call=payload, client=request.auth)
    except CallInvalid as exc:
        raise Invalid(exc.problems) from exc
    except PrefetchMissing as exc:
        raise HttpError(412, str(exc)) from exc


@router.post(
    "/cds-services/{service_id}/feedback",
    auth=CDS_CLIENT,
    response={200: FeedbackRecorded, **REFUSALS},
    exclude_none=True,
    summary="CDS Hooks feedback: record each card's outcome (and override reason code) in the audit trail",
    tags=TAGS,
)
def cds_feedback(request: HttpRequest, service_id: str, payload: Feedback):
    _known(service_id)
    recorded = cds_feedback_record(
        request=request, service_id=service_id, feedback=payload, client=request.auth
    )
    return {"recorded": recorded}
