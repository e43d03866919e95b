from django.contrib.auth import get_user_model


def user_named(username: str):
    """The user with this username: exact match first, else the one match ignoring case (or None)."""
    users = get_user_model().objects
    exact = users.filter(username=username).first()
    if exact is not None:
        return exact
    matches = list(users.filter(username__iexact=username)[:2])
    return matches[0] if len(matches) == 1 else None
