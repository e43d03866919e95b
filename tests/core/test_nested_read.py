"""core.nested_read on its own: a read built here, not the record's, so that what it promises is checked
whatever the record's read lists (columns named out of the model's order, a reverse one-to-one, a limit, a
value the database computes, ids that cannot exist)."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.nested_read import Annotation, Child, Joined, NestedRead
from patients.models import MedicationEntry, Patient
from patients.selectors import patient_record
from tests.patients.factories import MedicationEntryFactory, PatientFactory

pytestmark = pytest.mark.django_db


def test_columns_named_in_any_order_land_on_their_own_fields(django_user_model):
    user = django_user_model.objects.create_user("who", first_name="First", last_name="Last")
    patient = PatientFactory(given_name="Given", family_name="Family", medications_reconciled_by=user)
    MedicationEntryFactory(patient=patient, name="lithium", dose_mg=Decimal("300"), times_per_day=2)
    read = NestedRead(
        Patient,
        fields=("family_name", "mrn", "given_name"),  # not the model's order
        joined=(Joined("medications_reconciled_by", ("last_name", "username", "first_name")),),
        children=(Child("medications", fields=("times_per_day", "name", "dose_mg"), limit=5),),
    )
    row = read.by_ids([patient.pk])[patient.pk]
    assert (row.given_name, row.family_name, row.mrn) == ("Given", "Family", patient.mrn)
    assert {"date_of_birth", "weight_kg"} <= row.get_deferred_fields()
    user_read = row.medications_reconciled_by
    assert (user_read.first_name, user_read.last_name, user_read.username) == ("First", "Last", "who")
    (medication,) = row.nested["medications"]
    assert (medication.name, medication.dose_mg, medication.times_per_day) == (
        "lithium",
        Decimal("300.000"),
        2,
    )
    assert medication.patient is row


def test_a_reverse_one_to_one_present_and_absent(clinician, physician):
    """A screening's sign-off (the other row holds the key) read with it: cached when present, cached as
    absent otherwise, so that reading it raises as after select_related, with no query either way."""
    import json

    from patients.services import intake_import
    from screening.models import Screening, SignOff
    from screening.review import screening_sign
    from screening.services import screening_run
    from tests.conftest import EXAMPLES
    from tests.defaults_snapshot import load_defaults_for_test

    load_defaults_for_test()
    patient, _ = intake_import(doc=json.loads((EXAMPLES / "contraindicated-avm.json").read_text()))
    signed = screening_run(patient=patient, requested_by=clinician)
    screening_sign(screening=signed, user=physician, decision="not_cleared", note="Recheck")
    unsigned = screening_run(patient=patient, requested_by=clinician)
    read = NestedRead(Screening, fields=("verdict",), joined=(Joined("signoff", ("note", "decision")),))
    rows = read.by_ids([signed.pk, unsigned.pk])
    with CaptureQueriesContext(connection) as queries:
        signoff = rows[signed.pk].signoff
        assert (signoff.decision, signoff.note, signoff.screening is rows[signed.pk]) == (
            "not_cleared",
            "Recheck",
            True,
        )
        with pytest.raises(SignOff.DoesNotExist):
            rows[unsigned.pk].signoff  # noqa: B018
    assert len(queries) == 0
    assert rows[signed.pk].verdict == signed.verdict and "report" in rows[signed.pk].get_deferred_fields()


def test_a_computed_value_and_a_limited_list(django_user_model):
    patient = PatientFactory()
    for i in range(4):
        MedicationEntryFactory(patient=patient, name=f"m{i}")

    def count(alias: str) -> str:
        table = MedicationEntry._meta.db_table
        return f'(SELECT COUNT(*) FROM "{table}" x WHERE x."patient_id" = {alias}."id")'  # noqa: S608

    read = NestedRead(
        Patient,
        fields=("mrn",),
        annotations=(Annotation("medication_count", count, int),),
        children=(Child("medications", ordering=("-pk",), limit=2),),
    )
    with CaptureQueriesContext(connection) as queries:
        row = read.by_ids([patient.pk])[patient.pk]
    assert len(queries) == 1
    assert row.medication_count == 4
    newest = list(
        MedicationEntry.objects.filter(patient=patient).order_by("-pk").values_list("pk", flat=True)
    )
    assert [m.pk for m in row.nested["medications"]] == newest[:2]
    assert row.medications.count() == 4  # the manager still answers for the whole list


@pytest.mark.parametrize("pk", [2**63, -(2**63) - 1, 10**20])
def test_an_id_no_row_can_have_is_no_row(pk):
    assert NestedRead(Patient).by_ids([pk]) == {}
    with pytest.raises(Patient.DoesNotExist):
        patient_record(pk)


def test_a_user_is_read_without_the_password_hash(django_user_model):
    user = django_user_model.objects.create_user("who", password="a-long-test-password-1")
    read = NestedRead(User, fields=("username",))
    row = read.by_ids([user.pk])[user.pk]
    assert row.username == "who" and "password" in row.get_deferred_fields()


def test_the_first_rows_are_the_orms_first_rows_in_its_order():
    """`first(n)`: the model's ordering as the database sorts it (its collation, not Python's), ties on the
    names broken by the unique MRN, each row with its lists; the lists are read only for those rows."""
    for family, given, mrn in [
        ("Silva", "Ana", "M-3"),
        ("Silva", "Ana", "M-1"),  # same names: the MRN decides
        ("silva", "ana", "M-2"),  # lower case: where the database's collation puts it
        ("Ábalos", "Eva", "M-4"),
        ("Zhou", "Li", "M-5"),
        ("O'Neil", "Kim", "M-6"),
    ]:
        patient = PatientFactory(family_name=family, given_name=given, mrn=mrn)
        MedicationEntryFactory(patient=patient, name=f"drug-{mrn}")
    read = NestedRead(Patient, fields=("mrn", "family_name"), children=(Child("medications", limit=1),))
    orm = list(Patient.objects.values_list("pk", flat=True))
    for count in (0, 1, 3, 6, 50):
        with CaptureQueriesContext(connection) as queries:
            rows = read.first(count)
        assert [r.pk for r in rows] == orm[:count]
        assert len(queries) == 1
        assert [r.nested["medications"][0].name for r in rows] == [f"drug-{r.mrn}" for r in rows]
        assert all("given_name" in r.get_deferred_fields() for r in rows)


def test_first_needs_an_ordering_that_decides_every_tie():
    from django.core.exceptions import ImproperlyConfigured

    from patients.models import BloodPressureReading

    assert BloodPressureReading._meta.ordering == ["-taken_at", "-pk"]  # ends with the id: allowed
    NestedRead(BloodPressureReading, fields=("systolic",)).first(1)
    with pytest.raises(ImproperlyConfigured, match="must end with a unique field"):
        NestedRead(User, fields=("username",)).first(1)  # ordered by nothing
    # the ORM orders a relation by the related model's ordering, not by the key: refused, as is a random order
    for ordering in (("patient", "pk"), ("?",)):
        with pytest.raises(ImproperlyConfigured, match="relation patient|only fields"):
            NestedRead(Patient, children=(Child("medications", ordering=ordering),)).by_ids([1])


def test_an_instance_holds_what_the_orms_holds_and_a_receiver_still_hears_of_it():
    """Instances are built without Model.__init__ where it would only set the values (core.nested_read._plain):
    the same attributes, deferred fields and state as the ORM's; it saves, refreshes and compares as one.
    With a post_init receiver for the model, the ORM's from_db builds it, so the receiver is called."""
    from django.db.models.signals import post_init

    patient = PatientFactory(family_name="Okafor")
    MedicationEntryFactory(patient=patient, name="lithium")
    read = NestedRead(Patient, fields=("family_name", "record_version"), children=(Child("medications"),))
    row = read.by_ids([patient.pk])[patient.pk]
    orm = Patient.objects.only("family_name", "record_version").get(pk=patient.pk)
    own = {k for k in vars(row) if not k.startswith("_") and k not in ("nested", "nested_parts")}
    assert own == {k for k in vars(orm) if not k.startswith("_")}
    assert row.get_deferred_fields() == orm.get_deferred_fields() and row == orm
    assert (row._state.adding, row._state.db) == (False, orm._state.db)
    (medication,) = row.medications.all()
    assert vars(medication).keys() - {"_state"} == vars(
        MedicationEntry.objects.get(name="lithium")
    ).keys() - {"_state"}
    assert medication.patient is row and row.given_name == orm.given_name  # a deferred field loads
    row.family_name = "Okafor-Reyes"
    row.save(update_fields=["family_name"])
    assert Patient.objects.get(pk=patient.pk).family_name == "Okafor-Reyes"

    heard = []

    def receiver(sender, instance, **kwargs):
        heard.append(instance)

    post_init.connect(receiver, sender=Patient)
    try:
        again = read.by_ids([patient.pk])[patient.pk]
    finally:
        post_init.disconnect(receiver, sender=Patient)
    assert heard == [again]
