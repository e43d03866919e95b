"""The roles of the product, as Django auth groups (created by a data migration), and who may do what.

The pages and the JSON API read the same tuples below, so a role rule enforced on one is enforced on both.
"""

from collections.abc import Iterable

from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied

CLINICIAN = "Clinician"
PHYSICIAN = "Physician"
RULES_ADMIN = "Rules admin"
REPORT_STAFF = "Report staff"
AUDITOR = "Auditor"
ALL_ROLES = (CLINICIAN, PHYSICIAN, RULES_ADMIN, REPORT_STAFF, AUDITOR)
# The names the command line uses (`create_user --role clinician`).
ROLE_SLUGS = {
    "clinician": CLINICIAN,
    "physician": PHYSICIAN,
    "rules_admin": RULES_ADMIN,
    "report_staff": REPORT_STAFF,
    "auditor": AUDITOR,
}

# Who may do what.
EDIT_RECORDS = (CLINICIAN, PHYSICIAN)  # patients, intake, screening, suggesting an override
DECIDE = (PHYSICIAN,)  # overrides, co-signatures and sign-off decisions: a physician's acts
READ_REPORTS = (CLINICIAN, PHYSICIAN, REPORT_STAFF)  # screenings, their reports and PDFs
READ_RULES = (RULES_ADMIN, CLINICIAN, PHYSICIAN)  # rule sets, read-only for clinical staff
ADMIN_RULES = (RULES_ADMIN,)
READ_AUDIT = (AUDITOR,)  # the audit trail: who accessed what (ids and actors' names, no clinical content)


def user_roles(user) -> set[str]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._role_names = cached
    return cached


def has_any_role(user, roles: Iterable[str]) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return bool(user_roles(user) & set(roles))


def is_physician(user) -> bool:
    """A physician's acts (overrides, co-signatures, sign-offs) need the role itself: being a superuser
    (an IT account) is not being a physician."""
    return user.is_authenticated and user.is_active and PHYSICIAN in user_roles(user)


class RoleRequiredMixin(AccessMixin):
    """Class-based views: login first (redirect), then the role (403)."""

    required_roles: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not has_any_role(request.user, self.required_roles):
            raise PermissionDenied("Your role does not give access to this page.")
        return super().dispatch(request, *args, **kwargs)
