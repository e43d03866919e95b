"""/api/v1/: the NinjaAPI object, its error shapes, and the schema and docs for signed-in callers."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import re_path
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from rules.selectors import NoActiveRuleSet
from screening.review import ScreeningRefused
from screening.services import PdfStoreUnavailable

from .auth import AUTH, BearerToken
from .views import Invalid, Refused, router
from .views.infusions import router as infusion_router


def signed_in_or_token(view):
    """The schema and the docs: a signed-in session, or (for the schema) a bearer token."""

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs):
        user = request.user if request.user.is_authenticated and request.user.is_active else None
        if user is None and request.path.endswith("openapi.json"):
            user = BearerToken()(request)
        if user is not None:
            return view(request, *args, **kwargs)
        if request.path.endswith("openapi.json"):
            return JsonResponse({"error": "Sign in, or send Authorization: Bearer <token>."}, status=401)
        return redirect_to_login(request.get_full_path())

    return guarded


api = NinjaAPI(
    title="Ketamine pre-infusion screening API",
    version="1",
    description=(
        "Intakes in, screenings out, the review workflow (overrides, co-signature, sign-off, PDF) and the "
        "infusion day (check, authorization, monitoring, discharge, signature). "
        "Authenticate with `Authorization: Bearer <token>` (`manage.py api_token USERNAME`) or a signed-in "
        "session (with its CSRF token on writes). Every operation needs the same role as its web page. "
        "No patient data in URLs: patients and screenings are addressed by id."
    ),
    auth=AUTH,
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
    docs_decorator=signed_in_or_token,
)
api.add_router("", router)
api.add_router("", infusion_router)


def _error(request, message: str, status: int, problems=()):
    body = {"error": message}
    if problems:
        body["errors"] = list(problems)
    return api.create_response(request, body, status=status)


@api.exception_handler(Invalid)
def _invalid(request, exc: Invalid):
    return api.create_response(request, {"errors": exc.problems}, status=400)


@api.exception_handler(ValidationError)
def _validation(request, exc: ValidationError):
    """Pydantic's errors as {"path", "message"}: the location without its "body"/"path"/"query" head."""
    problems = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ())[1:] if part != "payload"]
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        problems.append({"path": ".".join(location) or "document", "message": message})
    return api.create_response(request, {"errors": problems}, status=400)


@api.exception_handler(ScreeningRefused)
@api.exception_handler(NoActiveRuleSet)
def _state_refused(request, exc):
    """The services' refusals (signed already, co-signature missing, no active rule set...): 409 in the
    words the page shows."""
    return _error(request, str(exc), 409)


@api.exception_handler(PdfStoreUnavailable)
def _store_unavailable(request, exc):
    """The file store did not answer: a moment's outage, not a conflict; the client may try again."""
    response = _error(request, str(exc), 503)
    response["Retry-After"] = "5"
    return response


@api.exception_handler(Refused)
def _refused(request, exc: Refused):
    return _error(request, str(exc), 409, exc.problems)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return _error(
        request, "Authentication needed: Authorization: Bearer <token>, or a signed-in session.", 401
    )


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if exc.status_code == 400:  # an unparsable body
        return api.create_response(
            request, {"errors": [{"path": "document", "message": str(exc)}]}, status=400
        )
    return _error(request, str(exc), exc.status_code)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, "Not found.", 404)


def _login_not_required(patterns):
    """The API answers 401 itself; Django's LoginRequiredMiddleware must not redirect it to a login page."""
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            _login_not_required(pattern.url_patterns)
        else:
            pattern.callback.login_required = False
    return patterns


def _no_such_operation(request, rest=""):
    return JsonResponse({"error": "No such API operation; see /api/v1/openapi.json."}, status=404)


_patterns, _app_name, _namespace = api.urls
_patterns = [*_patterns, re_path(r"^(?P<rest>.*)$", _no_such_operation)]
api_urls = (_login_not_required(_patterns), _app_name, _namespace)  # for path("api/v1/", api_urls)
