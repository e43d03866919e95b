"""The CDS Hooks endpoints at the paths the specification fixes: {baseUrl}/cds-services,
/cds-services/{id} and /cds-services/{id}/feedback (config/urls.py). Thin: the JSON API serves the same
three under /api/v1/ (api/views/cds_hooks.py, in the OpenAPI schema) with the same services and the same
answers, checked in the same order (the body's size: 413; the caller's JWT: 401; the body: 400; the service
id: 404; a required prefetch not sent: 412). No session, no CSRF token, no sign-in page: a call proves who sent it with its JWT."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from pydantic import BaseModel, ValidationError

from core.documents import DocumentUnreadable, parse_json

from .auth import REFUSED, CdsUnauthorized, cds_client
from .prefetch import PrefetchMissing
from .schemas import Feedback, HookCall, problems_of
from .service import (
    NO_SUCH_SERVICE,
    CallInvalid,
    cds_feedback_record,
    cds_service_call,
    discovery,
    service_known,
)


class Refusal(Exception):
    def __init__(self, response: JsonResponse):
        super().__init__(response.status_code)
        self.response = response


def _errors(problems: list[dict[str, str]]) -> JsonResponse:
    return JsonResponse({"errors": problems}, status=400)


def _not_too_large(request: HttpRequest) -> None:
    """413 past API_MAX_BODY_BYTES before anything reads the body (as api.middleware does for /api/)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise Refusal(_errors([{"path": "Content-Length", "message": "not a number"}])) from None
    if length > settings.API_MAX_BODY_BYTES:
        message = f"The request body is larger than {settings.API_MAX_BODY_BYTES} bytes."
        raise Refusal(JsonResponse({"error": message}, status=413))


def _read(request: HttpRequest, model: type[BaseModel]) -> Any:
    """The body as `model`, or a Refusal: 400 with the problems by path."""
    try:
        return model.model_validate(parse_json(request.body))
    except DocumentUnreadable as exc:
        raise Refusal(_errors([{"path": exc.path or "document", "message": exc.message}])) from exc
    except ValidationError as exc:
        raise Refusal(_errors(problems_of(exc))) from exc


def _caller(request: HttpRequest):
    try:
        return cds_client(request)
    except CdsUnauthorized:
        raise Refusal(JsonResponse({"error": REFUSED}, status=401)) from None


def _known(service_id: str) -> None:
    if not service_known(service_id):
        raise Refusal(JsonResponse({"error": NO_SUCH_SERVICE}, status=404))


@csrf_exempt
@login_not_required
@require_GET
def discovery_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse(discovery())


@csrf_exempt
@login_not_required
@require_POST
def service_view(request: HttpRequest, service_id: str) -> JsonResponse:
    try:
        _not_too_large(request)
        client = _caller(request)
        call = _read(request, HookCall)
        _known(service_id)
        return JsonResponse(
            cds_service_call(request=request, service_id=service_id, call=call, client=client)
        )
    except Refusal as refusal:
        return refusal.response
    except CallInvalid as exc:
        return _errors(exc.problems)
    except PrefetchMissing as exc:
        return JsonResponse({"error": str(exc)}, status=412)


@csrf_exempt
@login_not_required
@require_POST
def feedback_view(request: HttpRequest, service_id: str) -> JsonResponse:
    try:
        _not_too_large(request)
        client = _caller(request)
        feedback = _read(request, Feedback)
        _known(service_id)
    except Refusal as refusal:
        return refusal.response
    recorded = cds_feedback_record(request=request, service_id=service_id, feedback=feedback, client=client)
    return JsonResponse({"recorded": recorded})
