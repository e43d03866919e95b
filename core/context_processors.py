from .roles import ALL_ROLES, has_any_role, user_roles


def roles(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {
            "user_role_names": [],
            "is_clinician": False,
            "is_rules_admin": False,
            "is_report_staff": False,
        }
    names = sorted(user_roles(user)) or (["Superuser"] if user.is_superuser else [])
    return {
        "user_role_names": names,
        "is_clinician": has_any_role(user, [ALL_ROLES[0]]),
        "is_rules_admin": has_any_role(user, [ALL_ROLES[1]]),
        "is_report_staff": has_any_role(user, [ALL_ROLES[2]]),
    }
