import pytest

from tests.defaults_snapshot import load_defaults_for_test


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Users here sign in with force_login; the production hasher's cost would only slow the suite down."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def defaults(db):
    """The default formulary and rule set, as `manage.py load_defaults` puts them in the database."""
    load_defaults_for_test()
