from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.models import ApiToken
from core.tokens import api_token_create, api_token_expires_at, api_token_revoke
from core.users import user_named


class Command(BaseCommand):
    help = (
        "Create an API token for a user and print it, alone on stdout, once (only its hash is kept). "
        "--list shows the user's tokens without their secrets, each with the day it expires (API_TOKEN_DAYS after "
        "it was made); --revoke ID revokes one."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="what the token is for, shown in --list")
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--list", action="store_true", help="list the user's tokens (no secrets)")
        action.add_argument("--revoke", metavar="ID", help="revoke the token with this id (see --list)")

    def handle(self, *args, **options):
        user = user_named(options["username"])
        if user is None:
            raise CommandError(f"no user named {options['username']!r}")
        if options["list"]:
            self._list(user)
        elif options["revoke"]:
            self._revoke(user, options["revoke"])
        else:
            if not user.is_active:
                raise CommandError(f"user {user.username} is disabled")
            token, secret = api_token_create(user=user, name=options["name"])
            self.stderr.write(
                f"token {token.pk} created for {user.username}; it is shown once, store it now:"
            )
            self.stdout.write(secret)

    def _list(self, user):
        tokens = ApiToken.objects.filter(user=user)
        if not tokens:
            self.stdout.write(f"{user.username} has no API tokens")
        for t in tokens:
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
            expires = api_token_expires_at(t)
            if t.revoked_at:
                state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}"
            else:
                state = "expired" if expires <= timezone.now() else "active"
            self.stdout.write(
                f"{t.pk}\t{t.prefix}…\t{t.name or '-'}\tcreated {t.created_at:%Y-%m-%d %H:%M}\t"
                f"last used {used}\texpires {expires:%Y-%m-%d %H:%M}\t{state}"
            )

    def _revoke(self, user, token_id: str):
        token = ApiToken.objects.filter(user=user, pk=int(token_id) if token_id.isdigit() else None).first()
        if token is None:
            raise CommandError(f"{user.username} has no token with id {token_id}")
        api_token_revoke(token=token)
        self.stdout.write(f"token {token.pk} ({token.prefix}…) revoked")
