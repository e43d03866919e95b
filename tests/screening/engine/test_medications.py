"""Medications: reconciliation, the formulary classes and the benzodiazepine dose (criteria.md, 'Medications')."""

import pytest

from screening.engine.facts import Drug, Medication

from .builders import (
    ALPRAZOLAM,
    CARBAMAZEPINE,
    CHLORDIAZEPOXIDE,
    CLONAZEPAM,
    DIAZEPAM,
    LAMOTRIGINE,
    LITHIUM,
    LORAZEPAM,
    MEMANTINE,
    MIDAZOLAM,
    QUETIAPINE,
    SERTRALINE,
    TEMAZEPAM,
    THEOPHYLLINE,
    as_needed,
    baseline_facts,
    daily,
    drug,
    fires,
    screen,
    silent,
    taking,
    unresolved,
)


def by_atc(generic: str, atc: str):
    """A drug known only by its ATC code (no class), so the ATC prefix alone must match."""
    return drug(generic, atc)


def by_class(drug_class: str):
    """A drug known only by its class, under an ATC code no rule lists."""
    return drug(f"unlisted {drug_class}", "Z99ZZ99", drug_class)


# One row per class rule: (code, drugs that must fire it, neighbouring drugs that must not).
CLASS_RULES = [
    (
        "MEDS-LAMOTRIGINE",
        [by_atc("lamotrigine", "N03AX09")],
        [CARBAMAZEPINE, by_atc("levetiracetam", "N03AX14"), by_atc("topiramate", "N03AX11")],
    ),
    (
        "MEDS-NMDA-ANTAGONIST",
        [
            by_atc("memantine", "N06DX01"),
            by_atc("amantadine", "N04BB01"),
            by_atc("dextromethorphan", "R05DA09"),
            by_atc("dextromethorphan/bupropion", "N06AX62"),
            by_atc("dextromethorphan/quinidine", "N07XX59"),
            by_class("nmda_antagonist"),
        ],
        [
            drug("bupropion", "N06AX12", "atypical_antidepressant"),
            drug("codeine", "R05DA04", "opioid"),
            by_atc("donepezil", "N06DA02"),
            by_atc("biperiden", "N04AA02"),
        ],
    ),
    (
        "MEDS-THEOPHYLLINE",
        [by_atc("theophylline", "R03DA04"), by_atc("aminophylline", "R03DA05")],
        [drug("albuterol", "R03AC02", "bronchodilator"), by_atc("montelukast", "R03DC03")],
    ),
    (
        "MEDS-ATTENUATING",
        [
            by_atc("quetiapine", "N05AH04"),
            by_atc("gabapentin", "N02BF01"),
            by_atc("gabapentin", "N03AX12"),
            by_atc("pregabalin", "N02BF02"),
            by_atc("pregabalin", "N03AX16"),
            by_atc("naltrexone", "N07BB04"),
        ],
        [
            drug("olanzapine", "N05AH03", "antipsychotic"),
            drug("nalmefene", "N07BB05", "opioid_antagonist"),
            LAMOTRIGINE,
        ],
    ),
    (
        "MEDS-CNS-DEPRESSANT",
        [
            by_atc("oxycodone", "N02AA05"),
            by_atc("tramadol", "N02AX02"),
            by_atc("methadone", "N07BC02"),
            by_atc("zolpidem", "N05CF02"),
            by_atc("pentobarbital", "N05CA01"),
            by_atc("phenobarbital", "N03AA02"),
            by_atc("diazepam", "N05BA01"),
            by_atc("temazepam", "N05CD07"),
            by_atc("clonazepam", "N03AE01"),
            by_class("opioid"),
            by_class("z_drug"),
            by_class("barbiturate"),
            by_class("benzodiazepine"),
            by_class("sedating_antipsychotic"),
            # 2026.2
            by_atc("hydrocodone", "R05DA03"),
            by_atc("codeine", "R05DA04"),
            by_atc("gabapentin", "N02BF01"),
            by_atc("sodium oxybate", "N07XX04"),
            by_atc("suvorexant", "N05CJ01"),
            by_atc("olanzapine", "N05AH03"),
            by_atc("clozapine", "N05AH02"),
            by_atc("chlorpromazine", "N05AA01"),
            by_atc("hydroxyzine", "N05BB01"),
            by_atc("diphenhydramine", "R06AA02"),
            by_atc("doxylamine", "R06AA09"),
            by_atc("promethazine", "R06AD02"),
            by_atc("carisoprodol", "M03BA02"),
            by_atc("cyclobenzaprine", "M03BX08"),
            by_atc("tizanidine", "M03BX02"),
            by_atc("baclofen", "M03BX01"),
            drug("acetaminophen/codeine", "N02AJ06", "opioid"),
        ],
        [
            SERTRALINE,
            drug("aripiprazole", "N05AX12", "antipsychotic"),
            drug("naltrexone", "N07BB04", "opioid_antagonist"),
            by_atc("melatonin", "N05CH01"),
            by_atc("loratadine", "R06AX13"),
            by_atc("methocarbamol", "M03BA03"),
            by_atc("dextromethorphan", "R05DA09"),
        ],
    ),
    (
        "MEDS-MAOI",
        [
            by_atc("phenelzine", "N06AF03"),
            by_atc("moclobemide", "N06AG02"),
            by_atc("selegiline", "N04BD01"),
            by_atc("rasagiline", "N04BD02"),
            by_atc("safinamide", "N04BD03"),
            drug("linezolid", "J01XX08", "antibiotic"),
            by_atc("methylthioninium chloride", "V03AB17"),
        ],
        [by_atc("amantadine", "N04BB01"), by_atc("levodopa", "N04BA01")],
    ),
    (
        "MEDS-STIMULANT",
        [
            by_atc("methylphenidate", "N06BA04"),
            by_atc("amfetamine", "N06BA01"),
            by_atc("modafinil", "N06BA07"),
            by_atc("atomoxetine", "N06BA09"),
            by_atc("phentermine", "A08AA01"),
            by_class("stimulant"),
        ],
        [
            by_atc("citicoline", "N06BX06"),
            drug("bupropion", "N06AX12", "atypical_antidepressant"),
            Drug("naltrexone/bupropion", ("A08AA62", "N07BB04", "N06AX12")),
        ],
    ),
    (
        "MEDS-SYMPATHOMIMETIC",
        [
            by_atc("pseudoephedrine", "R01BA02"),
            by_atc("phenylephrine", "R01BA03"),
            by_atc("phenylpropanolamine", "R01BA01"),
            by_atc("ephedrine", "R03CA02"),
            by_atc("ephedrine (cardiac)", "C01CA26"),
            Drug("loratadine/pseudoephedrine", ("R01BA52", "R06AX13", "R01BA02")),
        ],
        [by_atc("loratadine", "R06AX13"), by_atc("oxymetazoline nasal", "R01AA05")],
    ),
    (
        "MEDS-KETAMINE-CURRENT",
        [by_atc("esketamine", "N06AX27"), by_atc("ketamine", "N01AX03")],
        [by_atc("dextromethorphan/bupropion", "N06AX62"), SERTRALINE],
    ),
    (
        "MEDS-COMPATIBLE",
        [
            by_atc("sertraline", "N06AB06"),
            by_atc("escitalopram", "N06AB10"),
            by_atc("venlafaxine", "N06AX16"),
            by_atc("duloxetine", "N06AX21"),
            by_atc("desvenlafaxine", "N06AX23"),
            by_atc("levomilnacipran", "N06AX28"),
            drug("milnacipran", "N06AX17", "snri"),
            by_atc("lithium", "N05AN01"),
            by_atc("valproic acid", "N03AG01"),
        ],
        [
            by_atc("agomelatine", "N06AX22"),
            by_atc("vortioxetine", "N06AX26"),
            by_atc("mirtazapine", "N06AX11"),
            by_atc("amitriptyline", "N06AA09"),
            CARBAMAZEPINE,
            by_atc("tiagabine", "N03AG06"),
        ],
    ),
]

FIRES = [
    # MEDS-NOT-RECONCILED
    fires("MEDS-NOT-RECONCILED", "empty list not attested", baseline_facts(medications_reconciled=False)),
    fires(
        "MEDS-NOT-RECONCILED",
        "list with items not reconciled",
        baseline_facts(medications_reconciled=False, medications=(daily(SERTRALINE, 50),)),
    ),
    # MEDS-UNRECOGNIZED
    fires("MEDS-UNRECOGNIZED", "not in the formulary", taking(unresolved("Herbal Sleep Blend"))),
    fires(
        "MEDS-UNRECOGNIZED",
        "a benzodiazepine's name typed but not resolved",
        taking(unresolved("clonazepam")),
    ),
    # MEDS-NO-DOSE
    fires("MEDS-NO-DOSE", "benzo without dose", taking(daily(CLONAZEPAM, None, 2))),
    fires("MEDS-NO-DOSE", "benzo without frequency", taking(daily(CLONAZEPAM, 0.5, None))),
    fires("MEDS-NO-DOSE", "as-needed benzo without max doses per day", taking(as_needed(LORAZEPAM, 1, None))),
    # 2026.2: a benzodiazepine without a factor is MEDS-UNRECOGNIZED, not asked for as missing data
    fires("MEDS-UNRECOGNIZED", "benzo without an A7 factor", taking(daily(MIDAZOLAM, 7.5, 1))),
    fires("MEDS-UNRECOGNIZED", "an ambiguous abbreviation", taking(Medication("T3", 25, 1, ambiguous=True))),
    # MEDS-DOSE-IMPLAUSIBLE
    fires("MEDS-DOSE-IMPLAUSIBLE", "alprazolam 12 mg/day, maximum 10", taking(daily(ALPRAZOLAM, 4, 3))),
    fires("MEDS-DOSE-IMPLAUSIBLE", "alprazolam 10.001 mg/day, maximum 10", taking(daily(ALPRAZOLAM, 10.001))),
    fires(
        "MEDS-DOSE-IMPLAUSIBLE",
        "as-needed counts the most doses in a day",
        taking(as_needed(ALPRAZOLAM, 2, 6)),
    ),
    # MEDS-BENZO-HIGH
    fires("MEDS-BENZO-HIGH", "diazepam 8.1 mg once daily", taking(daily(DIAZEPAM, 8.1))),
    fires("MEDS-BENZO-HIGH", "temazepam 30 mg at night = 15 mg", taking(daily(TEMAZEPAM, 30))),
    fires("MEDS-BENZO-HIGH", "clonazepam 0.5 mg twice daily = 20 mg", taking(daily(CLONAZEPAM, 0.5, 2))),
    fires(
        "MEDS-BENZO-HIGH",
        "diazepam 5 + lorazepam 0.35 = 8.5 mg",
        taking(daily(DIAZEPAM, 5), daily(LORAZEPAM, 0.35)),
    ),
    fires(
        "MEDS-BENZO-HIGH",
        "as-needed counts max doses, not times per day",
        taking(
            Medication(
                "lorazepam", dose_mg=0.5, times_per_day=1, as_needed=True, max_doses_per_day=2, drug=LORAZEPAM
            )
        ),
    ),
    fires(
        "MEDS-BENZO-HIGH",
        "known part above 8 though another benzo has no dose",
        taking(daily(DIAZEPAM, 10), daily(MIDAZOLAM, 7.5)),
    ),
    fires(
        "MEDS-BENZO-HIGH",
        "chlordiazepoxide 20.001 mg = 8.0004 mg, compared exactly",
        taking(daily(CHLORDIAZEPOXIDE, 20.001)),
    ),
    fires(
        "MEDS-BENZO-HIGH",
        "lorazepam 0.1 mg x 81 doses = 8.1 mg (no float drift)",
        taking(daily(LORAZEPAM, 0.1, 81)),
    ),
    # MEDS-BENZO-LOW
    fires("MEDS-BENZO-LOW", "diazepam 8 mg once daily", taking(daily(DIAZEPAM, 8))),
    fires("MEDS-BENZO-LOW", "chlordiazepoxide 20 mg = 8 mg exactly", taking(daily(CHLORDIAZEPOXIDE, 20))),
    fires(
        "MEDS-BENZO-LOW",
        "lorazepam 0.1 mg x 3 + diazepam 5 = 8 mg exactly (0.1 x 3 is 0.30000000000000004 in floats)",
        taking(daily(LORAZEPAM, 0.1, 3), daily(DIAZEPAM, 5)),
    ),
    fires("MEDS-BENZO-LOW", "clonazepam 0.2 mg twice daily = 8 mg", taking(daily(CLONAZEPAM, 0.2, 2))),
    fires(
        "MEDS-BENZO-LOW",
        "diazepam 5 + lorazepam 0.3 = 8 mg",
        taking(daily(DIAZEPAM, 5), daily(LORAZEPAM, 0.3)),
    ),
    fires(
        "MEDS-BENZO-LOW",
        "as-needed lorazepam 0.4 mg at most twice = 8 mg",
        taking(as_needed(LORAZEPAM, 0.4, 2)),
    ),
    fires("MEDS-BENZO-LOW", "temazepam 15 mg at night = 7.5 mg", taking(daily(TEMAZEPAM, 15))),
    # class rules
    *[
        fires(code, f"{d.generic} {d.atc[0]}", taking(daily(d, 10)))
        for code, hits, _ in CLASS_RULES
        for d in hits
    ],
]

SILENT = [
    silent(
        "MEDS-NOT-RECONCILED",
        "empty list attested",
        baseline_facts(medications_reconciled=True, medications=()),
    ),
    silent("MEDS-NOT-RECONCILED", "list reconciled", taking(daily(SERTRALINE, 50))),
    silent(
        "MEDS-UNRECOGNIZED",
        "resolved under any typed name",
        taking(Medication("my little blue pill", 50, 1, drug=SERTRALINE)),
    ),
    silent("MEDS-NO-DOSE", "benzo with dose and frequency", taking(daily(CLONAZEPAM, 0.5, 2))),
    silent("MEDS-NO-DOSE", "as-needed benzo with max doses per day", taking(as_needed(LORAZEPAM, 1, 2))),
    silent("MEDS-NO-DOSE", "non-benzo without dose", taking(daily(SERTRALINE, None, None))),
    silent("MEDS-NO-DOSE", "z-drug without dose", taking(daily(drug("zolpidem", "N05CF02", "z_drug"), None))),
    silent("MEDS-BENZO-HIGH", "diazepam 8 mg once daily", taking(daily(DIAZEPAM, 8))),
    silent("MEDS-BENZO-HIGH", "chlordiazepoxide 20 mg = 8 mg exactly", taking(daily(CHLORDIAZEPOXIDE, 20))),
    silent(
        "MEDS-BENZO-HIGH",
        "lorazepam 0.1 mg x 3 + diazepam 5 = 8 mg exactly",
        taking(daily(LORAZEPAM, 0.1, 3), daily(DIAZEPAM, 5)),
    ),
    silent(
        "MEDS-BENZO-HIGH",
        "diazepam 5 + lorazepam 0.3 = 8 mg",
        taking(daily(DIAZEPAM, 5), daily(LORAZEPAM, 0.3)),
    ),
    silent(
        "MEDS-BENZO-HIGH",
        "as-needed lorazepam 0.4 mg at most twice = 8 mg",
        taking(as_needed(LORAZEPAM, 0.4, 2)),
    ),
    silent("MEDS-BENZO-HIGH", "benzo without dose (asked for instead)", taking(daily(CLONAZEPAM, None, 2))),
    silent("MEDS-NO-DOSE", "benzo with dose but without an A7 factor", taking(daily(MIDAZOLAM, 7.5, 1))),
    silent("MEDS-UNRECOGNIZED", "benzo with an A7 factor", taking(daily(LORAZEPAM, 1))),
    silent("MEDS-DOSE-IMPLAUSIBLE", "alprazolam 10 mg/day, at the maximum", taking(daily(ALPRAZOLAM, 5, 2))),
    silent("MEDS-DOSE-IMPLAUSIBLE", "no maximum recorded", taking(daily(SERTRALINE, 5000))),
    silent("MEDS-DOSE-IMPLAUSIBLE", "dose unknown", taking(daily(ALPRAZOLAM, None))),
    silent("MEDS-BENZO-LOW", "diazepam 8.1 mg once daily", taking(daily(DIAZEPAM, 8.1))),
    silent(
        "MEDS-BENZO-LOW", "chlordiazepoxide 20.001 mg = 8.0004 mg", taking(daily(CHLORDIAZEPOXIDE, 20.001))
    ),
    silent("MEDS-BENZO-LOW", "benzo without dose", taking(daily(CLONAZEPAM, None, 2))),
    silent(
        "MEDS-BENZO-LOW",
        "known part low, another benzo without a factor",
        taking(daily(DIAZEPAM, 2), daily(MIDAZOLAM, 7.5)),
    ),
    silent("MEDS-BENZO-LOW", "no benzodiazepine", taking(daily(SERTRALINE, 50))),
    *[
        silent(code, f"{d.generic} {d.atc[0]}", taking(daily(d, 10)))
        for code, _, misses in CLASS_RULES
        for d in misses
    ],
    *[
        silent(code, "unresolved medication", taking(unresolved("Herbal Sleep Blend")))
        for code, _, _ in CLASS_RULES
    ],
]


@pytest.mark.parametrize(("code", "facts"), FIRES)
def test_rule_fires(code, facts):
    assert code in screen(facts).rule_codes


@pytest.mark.parametrize(("code", "facts"), SILENT)
def test_rule_is_silent(code, facts):
    assert code not in screen(facts).rule_codes


def test_unreconciled_medications_need_information():
    assert screen(baseline_facts(medications_reconciled=False)).verdict == "needs_information"


def test_unrecognized_medication_needs_clinician_review():
    report = screen(taking(unresolved("Herbal Sleep Blend")))

    assert report.verdict == "clinician_review"
    assert report.findings[0].evidence == "not in the formulary: 'Herbal Sleep Blend'"


def test_benzodiazepine_without_dose_needs_information():
    assert screen(taking(daily(CLONAZEPAM, None, 2))).verdict == "needs_information"


def test_high_benzodiazepine_dose_is_a_precaution():
    assert screen(taking(daily(DIAZEPAM, 8.1))).verdict == "eligible_with_precautions"


def test_nmda_antagonist_defers():
    assert screen(taking(daily(MEMANTINE, 10))).verdict == "deferred"


def test_theophylline_defers():
    assert screen(taking(daily(THEOPHYLLINE, 300))).verdict == "deferred"


def test_compatible_medication_alone_stays_eligible():
    report = screen(taking(daily(SERTRALINE, 100), daily(LITHIUM, 300, 2)))

    assert report.verdict == "eligible"
    assert report.rule_codes == ("MEDS-COMPATIBLE",)


def test_missing_dose_evidence_names_what_is_missing():
    report = screen(
        taking(daily(CLONAZEPAM, 0.5, None), as_needed(LORAZEPAM, 1, None), daily(MIDAZOLAM, 7.5))
    )
    finding = next(f for f in report.findings if f.rule == "MEDS-NO-DOSE")

    assert finding.evidence == (
        "clonazepam (N03AE01): times per day not recorded; lorazepam (N05BA06): max doses per day not recorded"
    )
    unknown = next(f for f in report.findings if f.rule == "MEDS-UNRECOGNIZED")
    assert unknown.evidence == "midazolam (N05CD08): no diazepam-equivalent factor, its equivalent is unknown"


def test_an_ambiguous_name_says_so():
    report = screen(taking(Medication("T3", 25, 1, ambiguous=True), Medication("Zzyzxol", 5, 1)))
    finding = next(f for f in report.findings if f.rule == "MEDS-UNRECOGNIZED")

    assert finding.evidence == (
        "not in the formulary: 'Zzyzxol'; ambiguous, an error-prone abbreviation never resolved (A16): 'T3'"
    )


def test_benzodiazepine_evidence_shows_each_equivalent_and_the_total():
    report = screen(taking(daily(DIAZEPAM, 5), daily(LORAZEPAM, 0.35)))
    finding = next(f for f in report.findings if f.rule == "MEDS-BENZO-HIGH")

    assert finding.evidence == (
        "diazepam (N05BA01) 5 mg/day = 5 mg diazepam; lorazepam (N05BA06) 0.35 mg/day = 3.5 mg diazepam; "
        "total 8.5 mg/day diazepam-equivalent (limit 8)"
    )


def test_each_medication_lists_the_rules_it_triggered():
    report = screen(
        taking(
            daily(CLONAZEPAM, 0.5, 2),
            daily(SERTRALINE, 50),
            unresolved("Herbal Sleep Blend"),
            daily(QUETIAPINE, 25),
        )
    )

    assert [m.rules for m in report.medications] == [
        ("MEDS-BENZO-HIGH", "MEDS-CNS-DEPRESSANT"),
        ("MEDS-COMPATIBLE",),
        ("MEDS-UNRECOGNIZED",),
        ("MEDS-ATTENUATING", "MEDS-CNS-DEPRESSANT"),
    ]


def test_medication_analysis_shows_daily_dose_and_diazepam_equivalent():
    analysis = screen(taking(as_needed(LORAZEPAM, 0.5, 3))).medications[0]

    assert (analysis.generic, analysis.atc, analysis.classes) == ("lorazepam", "N05BA06", ("benzodiazepine",))
    assert (analysis.daily_mg, analysis.diazepam_eq_mg) == (1.5, 15.0)


def test_unresolved_medication_analysis_keeps_the_typed_name():
    analysis = screen(taking(unresolved("Herbal Sleep Blend"))).medications[0]

    assert (analysis.name, analysis.generic, analysis.atc, analysis.rules) == (
        "Herbal Sleep Blend",
        None,
        None,
        ("MEDS-UNRECOGNIZED",),
    )


def test_matching_is_by_resolved_drug_never_by_typed_name():
    report = screen(
        taking(
            Medication("sleeping pill", dose_mg=1, times_per_day=2, drug=CLONAZEPAM),
            unresolved("clonazepam 0.5mg"),
        )
    )

    assert report.medications[0].rules == ("MEDS-BENZO-HIGH", "MEDS-CNS-DEPRESSANT")
    assert report.medications[1].rules == ("MEDS-UNRECOGNIZED",)


def test_as_needed_without_a_maximum_counts_the_usual_frequency():
    prn = Medication(
        name="lorazepam", dose_mg=1, times_per_day=2, as_needed=True, max_doses_per_day=None, drug=LORAZEPAM
    )
    report = screen(taking(prn))

    assert report.medications[0].daily_mg == 2
    assert "MEDS-BENZO-HIGH" in report.rule_codes
    assert "MEDS-NO-DOSE" not in report.rule_codes
