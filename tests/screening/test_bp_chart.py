"""The report's blood-pressure chart: readable at the size it is shown (labels of 11 px or more, none on
top of another), readable in grayscale, its reference lines the rule set's thresholds, accessible, and
cheap for WeasyPrint (few <text> elements)."""

import json
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from itertools import combinations

import pytest
from django.utils.safestring import SafeString

from patients.services import intake_import
from screening.bp_chart import ReferenceLine, bp_chart_svg, bp_reference_lines
from screening.engine import ruleset_from_data
from screening.engine.ruleset import Rule
from screening.presentation import report_context
from screening.selectors import review_state
from screening.services import screening_run
from tests.conftest import EXAMPLES, ROOT
from tests.defaults_snapshot import load_defaults_for_test

SVG = "{http://www.w3.org/2000/svg}"
DEFAULT_RULES = ruleset_from_data(json.loads((ROOT / "fixtures" / "ruleset-default.json").read_text())).rules
LINES = bp_reference_lines(DEFAULT_RULES)
MAX_TEXTS = 40


def readings(n: int, *, heart_rate: bool = True) -> list[dict]:
    start = datetime.fromisoformat("2026-10-22T09:10:00+00:00")
    return [
        {
            "taken_at": (start + timedelta(days=i, minutes=7 * i)).isoformat(),
            "systolic": 122 + (i * 37) % 50,
            "diastolic": 72 + (i * 23) % 30,
            **({"heart_rate": 60 + (i * 17) % 45} if heart_rate else {}),
        }
        for i in range(n)
    ]


@pytest.fixture(autouse=True)
def utc(settings):
    settings.TIME_ZONE = "UTC"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(str(svg))  # noqa: S314 - the chart this code drew, not outside input


def chart(rows, lines=LINES, **kwargs) -> ET.Element:
    return parse(bp_chart_svg(rows, lines, **kwargs))


def labels(root: ET.Element) -> list[dict]:
    return [
        {
            "x": float(t.get("x")),
            "y": float(t.get("y")),
            "size": float(t.get("font-size", "0")),
            "anchor": t.get("text-anchor", "start"),
            "text": t.text or "",
        }
        for t in root.iter(f"{SVG}text")
    ]


def box(label: dict) -> tuple[float, float, float, float]:
    """The label's estimated box: 0.6 x font size per character wide, the font size high."""
    width = 0.6 * label["size"] * len(label["text"])
    left = label["x"] - {"start": 0, "middle": width / 2, "end": width}[label["anchor"]]
    return (left, label["y"] - 0.8 * label["size"], left + width, label["y"] + 0.2 * label["size"])


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def y_ticks(root: ET.Element) -> dict[str, float]:
    """The y axis's labels (left of the plot), each with the y of its value (4 px above the baseline)."""
    return {
        label["text"]: label["y"] - 4 for label in labels(root) if label["x"] < 50 and label["text"].isdigit()
    }


def texts(root: ET.Element) -> list[str]:
    return [label["text"] for label in labels(root)]


def series(root: ET.Element, key: str) -> ET.Element:
    return root.find(f".//{SVG}g[@data-series='{key}']")


def legend(root: ET.Element, key: str) -> ET.Element:
    return root.find(f".//{SVG}g[@data-legend='{key}']")


def reference_ys(root: ET.Element) -> dict[str, float]:
    """Each reference line's value -> the y it is drawn at (its path starts M<x>,<y>H...)."""
    found = {}
    for path in root.iter(f"{SVG}path"):
        if path.get("data-reference"):
            found[path.get("data-reference")] = float(re.match(r"M[\d.]+,([\d.]+)H", path.get("d"))[1])
    return found


# ---------------------------------------------------------------------------------------- thresholds


def test_the_default_rule_sets_thresholds_are_its_bp_rules_parameters():
    assert bp_reference_lines(DEFAULT_RULES) == (
        ReferenceLine(160, 100, inclusive=True, severity="defer", rule="BP-STAGE2"),
        ReferenceLine(140, 90, inclusive=False, severity="review", rule="BP-ELEVATED"),
    )


def rule(code, severity, predicate, enabled=True) -> Rule:
    return Rule(code, severity, code, "Act.", (), predicate, enabled=enabled)


def bp(kind, systolic, diastolic) -> dict:
    return {"kind": kind, "params": {"systolic": systolic, "diastolic": diastolic}}


def test_a_threshold_under_not_keeps_a_rule_from_firing_and_draws_no_line():
    elevated = rule(
        "BP-ELEVATED",
        "review",
        {
            "kind": "all",
            "params": {
                "of": [
                    bp("bp_mean_above", 140, 90),
                    {"kind": "not", "params": {"predicate": bp("bp_mean_at_least", 160, 100)}},
                ]
            },
        },
    )
    assert bp_reference_lines([elevated]) == (ReferenceLine(140, 90, False, "review", "BP-ELEVATED"),)


def test_thresholds_follow_the_rule_set_disabled_rules_draw_none_and_the_more_severe_rule_names_a_shared_one():
    rules = [
        rule("BP-STRICT", "defer", bp("bp_mean_at_least", 170, 105)),
        rule("BP-ALSO-STRICT", "review", bp("bp_mean_at_least", 170, 105)),
        rule("BP-OFF", "review", bp("bp_mean_above", 130, 80), enabled=False),
    ]
    assert bp_reference_lines(rules) == (ReferenceLine(170, 105, True, "defer", "BP-STRICT"),)


def test_reference_lines_are_drawn_at_the_rule_sets_values_and_labelled_with_their_meaning():
    root = chart(readings(5))
    ys = reference_ys(root)
    ticks = y_ticks(root)
    assert set(ys) == {"160", "140", "100", "90"}
    assert {value: ys[value] for value in ("160", "140", "100")} == {
        value: ticks[value] for value in ("160", "140", "100")
    }
    assert ys["100"] < ys["90"] < ticks["80"]
    assert {"sys ≥160 defer", "dia ≥100 defer", "sys >140 review", "dia >90 review"} <= set(texts(root))


def test_other_thresholds_draw_other_lines():
    lines = (ReferenceLine(150, 95, True, "review", "BP-CLINIC"),)
    root = chart(readings(5), lines)
    assert set(reference_ys(root)) == {"150", "95"}
    assert {"sys ≥150 review", "dia ≥95 review"} <= set(texts(root))


@pytest.mark.parametrize(
    ("lines", "said"),
    [
        (None, "No reference lines: the rule set's blood-pressure thresholds are not known here."),
        ((), "No reference lines: the rule set has no blood-pressure threshold."),
    ],
)
def test_without_thresholds_no_line_is_invented_and_the_chart_says_so(lines, said):
    root = chart(readings(5), lines)
    assert reference_ys(root) == {}
    assert said in root.find(f"{SVG}desc").text
    assert [text for text in texts(root) if text in ("no threshold", "lines")] == ["no threshold", "lines"]


# ---------------------------------------------------------------------------------------- readability


@pytest.mark.parametrize("n", [1, 2, 5, 30])
def test_every_label_is_at_least_11px_at_the_size_it_is_shown(n):
    root = chart(readings(n))
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"  # 1 unit = 1 px
    assert [label["text"] for label in labels(root) if label["size"] < 11] == []
    assert not any("font-size" in (element.get("style") or "") for element in root.iter())


@pytest.mark.parametrize("n", [1, 2, 5, 30])
@pytest.mark.parametrize("lines", [LINES, None])
def test_no_two_labels_overlap(n, lines):
    found = labels(chart(readings(n), lines))
    assert [(a["text"], b["text"]) for a, b in combinations(found, 2) if overlap(box(a), box(b))] == []


@pytest.mark.parametrize("n", [1, 5, 30])
def test_every_label_stays_inside_the_chart(n):
    root = chart(readings(n))
    width, height = float(root.get("width")), float(root.get("height"))
    assert [
        label["text"]
        for label in labels(root)
        if not (
            box(label)[0] >= 0 and box(label)[1] >= 0 and box(label)[2] <= width and box(label)[3] <= height
        )
    ] == []


@pytest.mark.parametrize("n", [1, 5, 30])
def test_the_number_of_text_elements_is_bounded(n):
    assert len(labels(chart(readings(n)))) <= MAX_TEXTS


def test_thirty_readings_label_at_most_one_date_per_70px_and_always_the_latest():
    root = chart(readings(30))
    dates = [label for label in labels(root) if re.fullmatch(r"\d+ \w{3} \d\d:\d\d", label["text"])]
    xs = sorted(label["x"] for label in dates)
    assert 2 <= len(dates) <= float(root.get("width")) / 70
    assert min(b - a for a, b in zip(xs, xs[1:], strict=False)) >= 70
    assert "20 Nov 12:33" in [label["text"] for label in dates]  # the 30th reading


def test_only_the_latest_values_are_written_on_the_plot():
    rows = readings(30)
    values = {str(r[key]) for r in rows for key in ("systolic", "diastolic", "heart_rate")}
    latest = {str(rows[-1][key]) for key in ("systolic", "diastolic", "heart_rate")}
    root = chart(rows)
    written = {text for text in texts(root) if text in values} - set(y_ticks(root))
    assert written and written <= latest


def test_dates_are_shown_in_local_time(settings):
    settings.TIME_ZONE = "America/Denver"
    rows = [{"taken_at": "2026-12-01T21:05:00+00:00", "systolic": 130, "diastolic": 80}]
    root = chart(rows)
    assert "1 Dec 14:05" in texts(root)
    assert root.find(f"{SVG}desc").text.startswith("1 reading, 1 Dec 2026 14:05 MST; latest 130/80 mmHg.")


def test_the_pdf_shows_the_chart_at_least_as_wide_as_it_is_drawn_so_labels_stay_11px():
    css = (ROOT / "static" / "css" / "report-print.css").read_text()
    shown_mm = float(re.search(r"svg\.bp-chart\s*\{[^}]*width:\s*([\d.]+)mm", css)[1])
    assert shown_mm / 25.4 * 96 >= float(chart(readings(1)).get("width"))


# ---------------------------------------------------------------------------------------- series


def test_the_legend_has_an_entry_per_series_and_heart_rate_only_when_recorded():
    with_rate, without = chart(readings(5)), chart(readings(5, heart_rate=False))
    assert {"Systolic", "Diastolic", "Heart rate (bpm)"} <= set(texts(with_rate))
    assert [legend(with_rate, key) is not None for key in ("systolic", "diastolic", "heart_rate")] == [
        True
    ] * 3
    assert legend(without, "heart_rate") is None and series(without, "heart_rate") is None
    assert "Heart rate (bpm)" not in texts(without)


def marker_shape(path: ET.Element) -> str:
    """The drawing commands of the first marker (circle: arcs; square: h/v; triangle: L)."""
    return re.sub(r"[^A-Za-z]", "", path.get("d").split("Z")[0])


def test_series_differ_in_dash_and_marker_shape_so_they_read_in_grayscale():
    root = chart(readings(5))
    keys = ("systolic", "diastolic", "heart_rate")
    dashes = [series(root, key).find(f"{SVG}polyline").get("stroke-dasharray") for key in keys]
    shapes = [marker_shape(series(root, key).find(f"{SVG}path[@data-marker]")) for key in keys]
    assert len(set(dashes)) == 3 and len(set(shapes)) == 3
    assert [legend(root, key).find(f"{SVG}path").get("stroke-dasharray") for key in keys] == dashes
    assert [marker_shape(legend(root, key).find(f"{SVG}path[@data-marker]")) for key in keys] == shapes


@pytest.mark.parametrize("n", [1, 30])
def test_each_series_has_a_point_per_reading(n):
    root = chart(readings(n))
    for key in ("systolic", "diastolic", "heart_rate"):
        assert len(series(root, key).find(f"{SVG}polyline").get("points").split()) == n


def test_values_outside_40_to_220_are_drawn_at_the_edge_with_their_true_value():
    rows = [
        {"taken_at": "2026-11-01T08:00:00+01:00", "systolic": 130, "diastolic": 85, "heart_rate": 70},
        {"taken_at": "2026-11-02T08:00:00+01:00", "systolic": 250, "diastolic": 30, "heart_rate": 35},
    ]
    root = chart(rows)
    axis = next(
        p.get("d")
        for p in root.iter(f"{SVG}path")
        if re.fullmatch(r"M[\d.]+,[\d.]+V[\d.]+H[\d.]+", p.get("d"))
    )
    top, bottom = (float(v) for v in re.match(r"M[\d.]+,([\d.]+)V([\d.]+)", axis).groups())
    last = {key: float(series(root, key).find(f"{SVG}polyline").get("points").split()[-1].split(",")[1])
            for key in ("systolic", "diastolic", "heart_rate")}  # fmt: skip
    assert last == {"systolic": top, "diastolic": bottom, "heart_rate": bottom}  # the plot's edges: 220, 40
    assert y_ticks(root)["40"] == bottom
    assert {"250", "30"} <= set(texts(root))
    desc = root.find(f"{SVG}desc").text
    assert "latest 250/30 mmHg, heart rate 35 bpm" in desc and "3 values outside 40–220" in desc


# ---------------------------------------------------------------------------------------- accessibility


def test_the_chart_is_an_image_named_and_described_by_its_title_and_desc():
    root = chart(readings(5))
    ids = {element.get("id"): element for element in root.iter() if element.get("id")}
    assert root.get("role") == "img"
    assert [ids[i].tag for i in root.get("aria-labelledby").split()] == [f"{SVG}title", f"{SVG}desc"]
    assert root.find(f"{SVG}title").text == "Blood pressure and heart rate readings over time"
    assert root.find(f"{SVG}desc").text.startswith(
        "5 readings, from 22 Oct 2026 09:10 UTC to 26 Oct 2026 09:38 UTC; latest 170/74 mmHg, heart rate 83 bpm. "
        "Reference lines from the rule set: systolic ≥ 160 or diastolic ≥ 100 mmHg, defer (BP-STAGE2); "
    )


def test_two_charts_on_a_page_have_no_id_in_common():
    first, second = chart(readings(2), id_prefix="bp-a"), chart(readings(2), id_prefix="bp-b")
    first_ids = {e.get("id") for e in first.iter() if e.get("id")}
    second_ids = {e.get("id") for e in second.iter() if e.get("id")}
    assert first_ids and not first_ids & second_ids


def test_everything_written_into_the_svg_is_escaped():
    rows = [{"taken_at": "2026-12-01T14:05:00+00:00", "systolic": 130, "diastolic": 80, "heart_rate": "<b>"}]
    svg = bp_chart_svg(rows, LINES, id_prefix='x"><script>alert(1)</script>')
    root = parse(svg)  # still well-formed
    assert root.find(f".//{SVG}script") is None and "<script>" not in svg
    assert series(root, "heart_rate") is None  # not a number: not drawn


def test_no_readings_draw_nothing():
    svg = bp_chart_svg([], LINES)
    assert svg == "" and isinstance(svg, SafeString)


# ---------------------------------------------------------------------------------------- on the report


@pytest.fixture
def screening(db, clinician):
    load_defaults_for_test()
    doc = json.loads((EXAMPLES / "deferred-bp-and-benzodiazepine.json").read_text())
    patient, _ = intake_import(doc=doc)
    return screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20))


def test_the_report_draws_the_thresholds_of_the_rule_set_the_screening_was_made_under(screening):
    context = report_context(report=screening.report, intake=screening.intake, review=review_state(screening))
    assert set(reference_ys(parse(context["bp_chart"]))) == {"160", "140", "100", "90"}


def test_a_report_without_a_review_draws_no_reference_line(screening):
    context = report_context(report=screening.report, intake=screening.intake)
    assert reference_ys(parse(context["bp_chart"])) == {}


def test_the_report_keeps_a_chart_per_readings_lines_and_time_zone(utc):
    """The report page and the PDF reuse a chart drawn for the same readings, reference lines and time
    zone (screening.presentation): another time zone, reading or line draws another."""
    from django.utils import timezone

    from screening.presentation import _bp_chart

    shown = readings(3)
    line = ReferenceLine(160, 100, True, "defer", "BP-STAGE2")
    first = _bp_chart(shown, [line])
    assert _bp_chart([dict(r) for r in shown], [line]) is first
    assert _bp_chart(shown, [line]) == bp_chart_svg(shown, [line])
    with timezone.override("Asia/Tokyo"):
        assert _bp_chart(shown, [line]) == bp_chart_svg(shown, [line]) != first
    assert _bp_chart(shown, None) == bp_chart_svg(shown, None) != first
    changed = [dict(shown[0], systolic=shown[0]["systolic"] + 1), *shown[1:]]
    assert _bp_chart(changed, [line]) == bp_chart_svg(changed, [line]) != first
