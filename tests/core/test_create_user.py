"""`manage.py create_user`: roles as groups, the password only from a variable or a terminal, validated."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from core.management.commands.create_user import Command
from core.roles import ROLE_SLUGS

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple-42"
VARIABLE = "TEST_NEW_USER_PASSWORD"


def create_user(*args: str) -> str:
    out = StringIO()
    call_command("create_user", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def users():
    return get_user_model().objects


@pytest.fixture
def password_variable(monkeypatch):
    monkeypatch.setenv(VARIABLE, PASSWORD)
    return VARIABLE


@pytest.mark.parametrize(
    "slugs",
    [
        ["clinician"],
        ["rules_admin"],
        ["report_staff"],
        ["clinician", "report_staff"],
        ["clinician", "rules_admin", "report_staff"],
        ["clinician", "clinician"],
    ],
)
def test_roles_become_the_matching_groups(password_variable, slugs):
    role_args = [arg for slug in slugs for arg in ("--role", slug)]
    create_user("alice", *role_args, "--password-env", password_variable)
    groups = set(users().get(username="alice").groups.values_list("name", flat=True))
    assert groups == {ROLE_SLUGS[slug] for slug in slugs}


def test_output_names_the_user_and_roles_but_never_the_password(password_variable):
    out = create_user("alice", "--role", "clinician", "--password-env", password_variable)
    assert "alice" in out
    assert ROLE_SLUGS["clinician"] in out
    assert PASSWORD not in out


def test_email_and_names_are_stored(password_variable):
    create_user(
        "alice",
        "--role",
        "clinician",
        "--password-env",
        password_variable,
        "--email",
        "alice@clinic.example.org",
        "--first-name",
        "Alice",
        "--last-name",
        "Liddell",
    )
    user = users().get(username="alice")
    assert (user.email, user.first_name, user.last_name) == ("alice@clinic.example.org", "Alice", "Liddell")


@pytest.mark.parametrize("email", ["not-an-email", "alice@", "@clinic.example.org", "a b@example.org"])
def test_a_bad_email_is_refused_and_no_user_created(password_variable, email):
    with pytest.raises(CommandError, match="--email"):
        create_user("alice", "--role", "clinician", "--password-env", password_variable, "--email", email)
    assert not users().filter(username="alice").exists()


def test_password_comes_from_the_named_variable(password_variable):
    create_user("alice", "--role", "clinician", "--password-env", password_variable)
    user = users().get(username="alice")
    assert user.check_password(PASSWORD)
    assert user.password != PASSWORD


def test_an_unset_password_variable_is_refused(monkeypatch):
    monkeypatch.delenv(VARIABLE, raising=False)
    with pytest.raises(CommandError, match=VARIABLE):
        create_user("alice", "--role", "clinician", "--password-env", VARIABLE)
    assert not users().filter(username="alice").exists()


def test_an_empty_password_variable_is_refused(monkeypatch):
    monkeypatch.setenv(VARIABLE, "")
    with pytest.raises(CommandError, match=VARIABLE):
        create_user("alice", "--role", "clinician", "--password-env", VARIABLE)
    assert not users().filter(username="alice").exists()


@pytest.mark.parametrize("weak", ["123", "password", "12345678", "alice123"])
def test_a_password_failing_the_validators_is_refused_and_no_user_created(monkeypatch, weak):
    monkeypatch.setenv(VARIABLE, weak)
    with pytest.raises(CommandError, match="password refused"):
        create_user("alice", "--role", "clinician", "--password-env", VARIABLE)
    assert not users().filter(username="alice").exists()


def test_without_a_terminal_or_password_env_it_refuses_and_names_the_option(monkeypatch):
    monkeypatch.setattr("sys.stdin", StringIO())  # StringIO().isatty() is False: no one to ask
    with pytest.raises(CommandError, match="--password-env"):
        create_user("alice", "--role", "clinician")
    assert not users().filter(username="alice").exists()


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def answers(*replies: str):
    """A getpass stand-in that gives these replies in turn."""
    queue = list(replies)
    return lambda prompt="": queue.pop(0)


def test_on_a_terminal_the_password_is_asked_twice(monkeypatch):
    monkeypatch.setattr("sys.stdin", Terminal())
    monkeypatch.setattr("getpass.getpass", answers(PASSWORD, PASSWORD))
    out = create_user("alice", "--role", "clinician")
    assert users().get(username="alice").check_password(PASSWORD)
    assert PASSWORD not in out


def test_on_a_terminal_two_different_passwords_are_refused(monkeypatch):
    monkeypatch.setattr("sys.stdin", Terminal())
    monkeypatch.setattr("getpass.getpass", answers(PASSWORD, PASSWORD + "x"))
    with pytest.raises(CommandError, match="differ"):
        create_user("alice", "--role", "clinician")
    assert not users().filter(username="alice").exists()


def test_no_password_gives_an_unusable_password():
    create_user("robot", "--role", "report_staff", "--no-password")
    assert not users().get(username="robot").has_usable_password()


def test_password_env_and_no_password_together_are_refused(password_variable):
    with pytest.raises(CommandError):
        create_user("alice", "--role", "clinician", "--password-env", password_variable, "--no-password")
    assert not users().filter(username="alice").exists()


@pytest.mark.parametrize("username", ["alice", "ALICE", "Alice", " alice "])
def test_an_existing_username_is_refused_whatever_its_case(make_user, password_variable, username):
    make_user("alice")
    with pytest.raises(CommandError, match="exists already"):
        create_user(username, "--role", "clinician", "--password-env", password_variable)
    assert users().filter(username__iexact="alice").count() == 1


def test_an_empty_username_is_refused(password_variable):
    with pytest.raises(CommandError, match="empty"):
        create_user("   ", "--role", "clinician", "--password-env", password_variable)
    assert not users().exists()


@pytest.mark.parametrize("role", ["admin", "Clinician", "superuser", ""])
def test_an_unknown_role_is_refused(password_variable, role):
    with pytest.raises(CommandError, match="invalid choice"):
        create_user("alice", "--role", role, "--password-env", password_variable)
    assert not users().filter(username="alice").exists()


def test_a_role_is_required(password_variable):
    with pytest.raises(CommandError, match="--role"):
        create_user("alice", "--password-env", password_variable)
    assert not users().filter(username="alice").exists()


@pytest.mark.parametrize(("slug", "name"), sorted(ROLE_SLUGS.items()))
def test_help_lists_every_role(slug, name):
    text = " ".join(Command().create_parser("manage.py", "create_user").format_help().split())
    assert slug in text
    assert name in text
