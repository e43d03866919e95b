from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.roles import CLINICIAN, PHYSICIAN, REPORT_STAFF, RULES_ADMIN, role_group

# Demo-only credentials, documented in the README. Never created outside DEBUG (`make run`).
DEMO_ACCOUNTS = (
    ("clinician", "demo-clinician-pass", CLINICIAN, "Dana", "Clinician"),
    ("physician", "demo-physician-pass", PHYSICIAN, "Pat", "Physician"),
    # a second physician, so that co-signing (which needs another physician) can be tried
    ("physician2", "demo-physician2-pass", PHYSICIAN, "Casey", "Cosigner"),
    ("rulesadmin", "demo-rulesadmin-pass", RULES_ADMIN, "Robin", "Rules"),
    ("staff", "demo-staff-pass", REPORT_STAFF, "Sam", "Staff"),
)


class Command(BaseCommand):
    help = "Create the demo accounts (a clinician, two physicians, a rules admin and report staff). Development only: refuses to run without DEBUG."

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
            user.groups.set([role_group(role)])
            self.stdout.write(f"  {role:<13} username {username:<11} password {password}")
