"""Fixtures the core tests share: a superuser holding every role, and an object of every kind a URL names."""

import json
from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType

from core.roles import ALL_ROLES, role_group
from formulary.models import FormularyEntry
from patients.services import intake_import
from rules.models import RuleSet
from rules.services import ruleset_clone
from screening.services import screening_run
from tests.conftest import EXAMPLES
from tests.defaults_snapshot import load_defaults_for_test


@pytest.fixture
def superuser_with_every_role(django_user_model):
    """The widest reach: a superuser holding every role (a physician's own pages need the role itself)."""
    user = django_user_model.objects.create_superuser("root", password="a-long-test-password-1")
    user.groups.set([role_group(role) for role in ALL_ROLES])
    return user


@pytest.fixture
def ids(superuser_with_every_role):
    """An object of every kind a URL names, by the name the URL gives its id."""
    load_defaults_for_test()
    patient, _ = intake_import(doc=json.loads((EXAMPLES / "deferred-bp-and-benzodiazepine.json").read_text()))
    screening = screening_run(
        patient=patient, requested_by=superuser_with_every_role, as_of=date(2026, 11, 20)
    )
    draft = ruleset_clone(
        source=RuleSet.objects.get(is_active=True),
        version="2026.9-headers",
        created_by=superuser_with_every_role,
    )
    values = {
        "patients": patient.pk,
        "patient_id": patient.pk,
        "section": "psychiatric",
        "dx_id": patient.diagnoses.first().pk,
        "med_id": patient.medications.first().pk,
        "reading_id": patient.bp_readings.first().pk,
        "screening": screening.pk,
        "screening_id": screening.pk,
        "rulesets": draft.pk,
        "ruleset_id": draft.pk,
        "rule_id": draft.rules.first().pk,
        "formulary": FormularyEntry.objects.first().pk,
        "user": superuser_with_every_role.pk,
        "id": superuser_with_every_role.pk,
        "group": Group.objects.first().pk,
        "content_type_id": ContentType.objects.get_for_model(superuser_with_every_role).pk,
    }
    return {name: str(value) for name, value in values.items()}
