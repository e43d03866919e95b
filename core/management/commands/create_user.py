import getpass
import os
import sys

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from core.roles import ROLE_SLUGS, role_group


class Command(BaseCommand):
    help = (
        "Create a user with one or more roles. The password comes from --password-env VAR or an interactive "
        "prompt, never from the command line; --no-password makes an account that signs in only with an "
        "API token. Roles: " + ", ".join(f"{slug} ({name})" for slug, name in ROLE_SLUGS.items()) + "."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--role",
            action="append",
            required=True,
            choices=sorted(ROLE_SLUGS),
            help="a role to give (repeat for several)",
        )
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        secret = parser.add_mutually_exclusive_group()
        secret.add_argument("--password-env", metavar="VAR", help="read the password from this variable")
        secret.add_argument(
            "--no-password", action="store_true", help="no password: the account uses API tokens only"
        )

    def handle(self, *args, **options):
        username = options["username"].strip()
        user_model = get_user_model()
        if not username:
            raise CommandError("the username may not be empty")
        if user_model.objects.filter(username__iexact=username).exists():
            raise CommandError(f"a user named {username!r} exists already")
        if options["email"]:
            try:
                validate_email(options["email"])
            except ValidationError as exc:
                raise CommandError(f"--email: {exc.messages[0]}") from exc
        user = user_model(
            username=username,
            email=options["email"],
            first_name=options["first_name"],
            last_name=options["last_name"],
        )
        try:
            user.full_clean(exclude=["password"])
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        if options["no_password"]:
            user.set_unusable_password()
        else:
            password = self._password(options["password_env"])
            try:
                password_validation.validate_password(password, user)
            except ValidationError as exc:
                raise CommandError("password refused: " + " ".join(exc.messages)) from exc
            user.set_password(password)
        roles = [ROLE_SLUGS[slug] for slug in dict.fromkeys(options["role"])]
        with transaction.atomic():
            user.save()
            user.groups.set([role_group(name) for name in roles])
        self.stdout.write(f"user {user.username} created (id {user.pk}) with role(s): {', '.join(roles)}")

    def _password(self, variable: str | None) -> str:
        if variable:
            value = os.environ.get(variable)
            if not value:
                raise CommandError(f"--password-env: the variable {variable} is not set or empty")
            return value
        if not sys.stdin.isatty():
            raise CommandError("no terminal to ask for a password: use --password-env VAR or --no-password")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("the two passwords differ")
        return first
