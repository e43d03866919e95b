"""Passwords: at least 12 characters, not a common password, not all digits, not like the user's names;
the same validators for create_user, the admin and a password change. The demo passwords pass them."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from core.management.commands.create_demo_accounts import DEMO_ACCOUNTS

pytestmark = pytest.mark.django_db


def refusal(password: str, user=None) -> str:
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    return " ".join(refused.value.messages)


def test_eleven_characters_are_too_few():
    assert "at least 12 characters" in refusal("Xq7#mv9!Lp2")


def test_twelve_characters_are_enough():
    validate_password("Xq7#mv9!Lp2w")


@pytest.mark.parametrize("password", ["qwerty123456", "1q2w3e4r5t6y", "qazwsxedcrfv"])
def test_a_common_password_is_refused_though_long_enough(password):
    assert "too common" in refusal(password)


def test_an_all_digit_password_is_refused():
    assert "entirely numeric" in refusal("839201746355")


def test_a_password_like_the_username_is_refused():
    user = get_user_model()(username="dr.ames.anesthesia", first_name="Ana", last_name="Ames")
    assert "too similar" in refusal("dr.ames.anesthesia1", user)


@pytest.mark.parametrize(
    ("username", "password", "role", "first", "last"), DEMO_ACCOUNTS, ids=[a[0] for a in DEMO_ACCOUNTS]
)
def test_the_demo_passwords_pass(username, password, role, first, last):
    validate_password(password, get_user_model()(username=username, first_name=first, last_name=last))
