from .roles import AUDITOR, CLINICIAN, PHYSICIAN, REPORT_STAFF, RULES_ADMIN, has_any_role, user_roles


def roles(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {
            "user_role_names": [],
            "is_clinician": False,
            "is_physician": False,
            "is_rules_admin": False,
            "is_report_staff": False,
            "is_auditor": False,
        }
    names = sorted(user_roles(user)) or (["Superuser"] if user.is_superuser else [])
    return {
        "user_role_names": names,
        "is_clinician": has_any_role(user, [CLINICIAN, PHYSICIAN]),
        "is_physician": has_any_role(user, [PHYSICIAN]),
        "is_rules_admin": has_any_role(user, [RULES_ADMIN]),
        "is_report_staff": has_any_role(user, [REPORT_STAFF]),
        "is_auditor": has_any_role(user, [AUDITOR]),
    }
