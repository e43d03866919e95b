"""The baseline patient every other engine test starts from is eligible, with nothing to report."""

from screening.engine.severity import SEVERITY_RANK

from .builders import AS_OF, baseline_facts, screen


def test_baseline_patient_is_eligible():
    assert screen(baseline_facts()).verdict == "eligible"


def test_baseline_patient_has_no_finding_above_info():
    report = screen(baseline_facts())

    assert [f.rule for f in report.findings if SEVERITY_RANK[f.severity] < SEVERITY_RANK["info"]] == []


def test_baseline_patient_has_no_findings_at_all():
    assert screen(baseline_facts()).rule_codes == ()


def test_baseline_report_carries_age_bp_dose_and_checklist():
    report = screen(baseline_facts())

    assert report.age == 40
    assert report.assessed_on == AS_OF
    assert (report.blood_pressure.systolic, report.blood_pressure.diastolic) == (124, 78)
    assert (report.dose.low_mg, report.dose.high_mg) == (35.0, 70.0)
    assert len(report.checklist) == 6


def test_evaluate_is_deterministic():
    assert screen(baseline_facts()) == screen(baseline_facts())
