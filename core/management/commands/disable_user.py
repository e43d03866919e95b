from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.tokens import api_tokens_revoke_all
from core.users import user_named


class Command(BaseCommand):
    help = (
        "Disable a user: they can no longer sign in, their API tokens are revoked, and what they signed or "
        "recorded keeps their name. --enable undoes it (tokens stay revoked)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--enable", action="store_true", help="enable the user again")

    def handle(self, *args, **options):
        user = user_named(options["username"])
        if user is None:
            raise CommandError(f"no user named {options['username']!r}")
        with transaction.atomic():
            user.is_active = bool(options["enable"])
            user.save(update_fields=["is_active"])
            revoked = 0 if options["enable"] else api_tokens_revoke_all(user=user)
        state = "enabled" if user.is_active else f"disabled ({revoked} API token(s) revoked)"
        self.stdout.write(f"user {user.username} {state}")
