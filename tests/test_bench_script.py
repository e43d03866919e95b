"""scripts/bench.py's pure helpers: percentiles, the floor ratio, the table, its inputs. No database, no server."""

import importlib.util
import sys
import zlib
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location(
    "scripts_bench", Path(__file__).parent.parent / "scripts" / "bench.py"
)
bench = importlib.util.module_from_spec(_SPEC)
sys.modules["scripts_bench"] = bench  # its dataclasses look their module up by name
_SPEC.loader.exec_module(bench)


def stats(p95_ms, errors=0):
    return {"p50_ms": p95_ms / 2, "p95_ms": p95_ms, "requests_per_second": 10.0, "errors": errors, "kb": 2.5}


def result(levels):
    pages = [
        {"key": "floor", "label": "floor: home page", "levels": {str(u): stats(10.0) for u in levels}},
        {"key": "list", "label": "patient list", "levels": {str(u): stats(25.0, errors=1) for u in levels}},
    ]
    for level in levels:
        bench.add_floor_ratios(pages, "floor", str(level))
    return {
        "run": {
            "patients": 5000,
            "database": "preinfusion_bench_5000",
            "workers": 3,
            "users": levels,
            "seconds_per_page": 5,
        },
        "floor_label": "home page",
        "pages": pages,
        "in_process": {"engine": {"summary": "evaluate(): 0.3 ms"}, "pdf": {"error": "OSError: no fonts"}},
    }


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert bench.percentile(values, 0.95) == 95.0
    assert bench.percentile(values, 0.5) == 50.0
    assert bench.percentile([7.0], 0.95) == 7.0


def test_percentile_of_nothing_is_refused():
    with pytest.raises(ValueError):
        bench.percentile([], 0.95)


def test_ratio_is_none_without_a_floor():
    assert bench.ratio(30.0, 10.0) == 3.0
    assert bench.ratio(30.0, None) is None
    assert bench.ratio(30.0, 0.0) is None
    assert bench.ratio(None, 10.0) is None


def test_summarize_counts_successes_and_errors_apart():
    summary = bench.summarize([0.010, 0.020, 0.030, 0.040], ["HTTP 500"], seconds=2.0, sizes=[1024, 2048])
    assert summary["requests"] == 4
    assert summary["errors"] == 1
    assert summary["first_error"] == "HTTP 500"
    assert summary["p50_ms"] == 25.0
    assert summary["p95_ms"] == 40.0
    assert summary["requests_per_second"] == 2.0
    assert summary["kb"] == 1.5


def test_summarize_without_a_success_has_no_latency():
    summary = bench.summarize([], ["ConnectionError"], seconds=1.0, sizes=[])
    assert summary["p95_ms"] is None
    assert summary["kb"] is None


def test_floor_ratio_is_each_p95_over_the_floor_p95_at_the_same_level():
    pages = result([1, 5])["pages"]
    assert pages[0]["levels"]["5"]["p95_over_floor"] == 1.0
    assert pages[1]["levels"]["5"]["p95_over_floor"] == 2.5


def test_table_has_a_column_block_per_level_and_the_in_process_lines():
    table = bench.format_table(result([1, 5, 20]))
    assert "1 user " in table and "5 users" in table and "20 users" in table
    row = next(line for line in table.splitlines() if line.startswith("patient list"))
    assert row.split()[-5:] == ["12.5", "25.0", "10.0", "2.50", "3"]
    assert "evaluate(): 0.3 ms" in table
    assert "not measured: OSError: no fonts" in table


def test_users_are_parsed_sorted_and_bounded():
    assert bench.parse_users("20,1,5,5") == [1, 5, 20]
    with pytest.raises(ValueError):
        bench.parse_users("0,5")


def test_database_names_are_the_bench_own():
    assert bench.database_name(100_000) == "preinfusion_bench"
    assert bench.database_name(5000) == "preinfusion_bench_5000"
    with pytest.raises(ValueError):
        bench._own_name("preinfusion")


def test_pdf_pages_are_counted_in_compressed_streams_too():
    packed = zlib.compress(b"<</Type /Pages /Count 2>> <</Type /Page>> <</Type /Page>>")
    assert bench.pdf_page_count(b"%PDF-1.7\n1 0 obj\nstream\n" + packed + b"endstream\n") == 2
