"""The roles of the product, each carried by a Django auth group bound to it by id (BuiltinRole, made by a
data migration), and who may do what. Roles are read from that binding, never from group names.

The pages and the JSON API read the same tuples below, so a role rule enforced on one is enforced on both.
"""

from collections.abc import Iterable

from django.contrib.auth.mixins import AccessMixin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from .models import BuiltinRole

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
    """The roles the user's groups carry (by the groups' ids: a renamed group keeps its role)."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = set(BuiltinRole.objects.filter(group__user=user).values_list("role", flat=True))
        user._role_names = cached
    return cached


def role_group(role: str) -> Group:
    """The group that carries a role (bound on first use where the migration's binding is gone, as after a
    test database flush). Give a user a role by adding them to this group."""
    if role not in ALL_ROLES:
        raise ValueError(f"unknown role {role!r}")
    bound = BuiltinRole.objects.select_related("group").filter(role=role).first()
    if bound is not None:
        return bound.group
    group, _ = Group.objects.get_or_create(name=role)
    return BuiltinRole.objects.get_or_create(role=role, defaults={"group": group})[0].group


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
