"""The sign-in pages after the password: the code step, authenticator enrolment, backup codes, and the
keep-alive the idle warning calls (core.twofactor and core.sessions hold the rules)."""

from django import forms
from django.conf import settings
from django.contrib.auth.views import RedirectURLMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import FormView
from django_otp import user_has_device

from .audit import audit_record
from .twofactor import (
    CodeOutcome,
    authenticator_confirm,
    authenticator_pending,
    authenticator_qr_svg,
    authenticator_secret,
    backup_codes_left,
    backup_codes_replace,
    code_verify,
    is_verified,
    may_enrol,
)

WRONG_CODE = "That code is not right. Check the app's current code (or a backup code) and try again."
WAIT = "Too many wrong codes in a row: wait a little, then try again."


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false", "size": 12}
        ),
    )


@method_decorator(never_cache, name="dispatch")
class TwoFactorVerifyView(RedirectURLMixin, FormView):
    """The second step of signing in: the authenticator's 6-digit code, or one of the backup codes."""

    template_name = "accounts/two_factor_verify.html"
    form_class = CodeForm
    next_page = settings.LOGIN_REDIRECT_URL

    def dispatch(self, request, *args, **kwargs):
        if is_verified(request):
            return redirect(self.get_success_url())
        if not user_has_device(request.user):
            return redirect(_with_next(reverse("two_factor_enrol"), self.get_redirect_url()))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(next=self.get_redirect_url(), **kwargs)

    def form_valid(self, form):
        outcome = code_verify(request=self.request, code=form.cleaned_data["code"])
        if outcome is CodeOutcome.VERIFIED:
            return redirect(self.get_success_url())
        form.add_error("code", WAIT if outcome is CodeOutcome.WAIT else WRONG_CODE)
        return self.form_invalid(form)


@method_decorator(never_cache, name="dispatch")
class TwoFactorEnrolView(RedirectURLMixin, FormView):
    """Enrolment: a QR code (and the secret, to type in) for an authenticator app, confirmed by its first
    code; then the backup codes, once. An enrolled user who has given a code sees their status instead; one
    who has not is sent to the code step (a password alone never adds a device)."""

    template_name = "accounts/two_factor_enrol.html"
    form_class = CodeForm
    next_page = settings.LOGIN_REDIRECT_URL

    def dispatch(self, request, *args, **kwargs):
        if user_has_device(request.user):
            if not is_verified(request):
                return redirect(_with_next(reverse("two_factor_verify"), self.get_redirect_url()))
            if request.method != "GET":
                return redirect("two_factor_enrol")
            return render(
                request,
                "accounts/two_factor_status.html",
                {"backup_codes_left": backup_codes_left(request.user)},
            )
        if not may_enrol(request.user):
            raise PermissionDenied("Two-factor sign-in is not offered to your role.")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        device = authenticator_pending(self.request.user)
        return super().get_context_data(
            qr_svg=mark_safe(authenticator_qr_svg(device)),  # noqa: S308 (segno's own markup, no input in it)
            secret=authenticator_secret(device),
            next=self.get_redirect_url(),
            **kwargs,
        )

    def form_valid(self, form):
        device = authenticator_pending(self.request.user)
        codes = authenticator_confirm(request=self.request, device=device, code=form.cleaned_data["code"])
        if codes is None:
            form.add_error("code", WRONG_CODE)
            return self.form_invalid(form)
        return render(
            self.request,
            "accounts/backup_codes.html",
            {"codes": codes, "enrolled": True, "continue_url": self.get_success_url()},
        )


@method_decorator(never_cache, name="dispatch")
class BackupCodesView(View):
    """A new set of backup codes (the old ones stop working), for an enrolled user who gave a code."""

    def post(self, request):
        if not (is_verified(request) and user_has_device(request.user)):
            raise PermissionDenied("Give a code from your authenticator app first.")
        codes = backup_codes_replace(user=request.user)
        audit_record(action="otp_enrol", request=request, user=request.user, detail="new backup codes")
        return render(
            request,
            "accounts/backup_codes.html",
            {"codes": codes, "enrolled": False, "continue_url": reverse(settings.LOGIN_REDIRECT_URL)},
        )


class KeepAliveView(View):
    """The warning's "Stay signed in": the request is the activity (core.sessions records it); no answer."""

    def post(self, request):
        return HttpResponse(status=204)


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url
