from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from core.roles import CLINICIAN, REPORT_STAFF, RULES_ADMIN

# Demo-only credentials, documented in the README. Never created outside DEBUG (`make run`).
DEMO_ACCOUNTS = (
    ("clinician", "demo-clinician-pass", CLINICIAN, "Dana", "Clinician"),
    # a second clinician, so that co-signing (which needs another person) can be tried
    ("clinician2", "demo-clinician2-pass", CLINICIAN, "Casey", "Cosigner"),
    ("rulesadmin", "demo-rulesadmin-pass", RULES_ADMIN, "Robin", "Rules"),
    ("staff", "demo-staff-pass", REPORT_STAFF, "Sam", "Staff"),
)


class Command(BaseCommand):
    help = "Create the demo accounts (two clinicians, one of each other role). Development only: refuses to run without DEBUG."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo accounts are for local development only (DJANGO_DEBUG=1)")
        user_model = get_user_model()
        self.stdout.write("Demo accounts (DEMO ONLY, never use on real data):")
        for username, password, role, first, last in DEMO_ACCOUNTS:
            user, _ = user_model.objects.get_or_create(
                username=username, defaults={"first_name": first, "last_name": last}
            )
            user.set_password(password)
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            self.stdout.write(f"  {role:<13} username {username:<11} password {password}")
