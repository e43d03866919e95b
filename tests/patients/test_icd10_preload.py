"""A web process loads the ICD-10-CM code list as it starts (config.wsgi), so no request pays ~3 s for it;
a management command does not."""

import subprocess
import sys

from tests.conftest import child_env

CHECK = "import patients.icd10 as icd; print(icd._codes.cache_info().currsize)"


def run(code: str, **env) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], env=child_env(**env), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip().splitlines()[-1]


def test_the_web_process_loads_the_code_list_at_start():
    assert run(f"import config.wsgi; {CHECK}") == "1"


def test_it_can_be_left_to_the_first_lookup():
    assert run(f"import config.wsgi; {CHECK}", ICD10_PRELOAD="0") == "0"


def test_django_alone_does_not_load_it():
    assert run(f"import django; django.setup(); {CHECK}") == "0"


def test_the_web_process_freezes_what_it_loaded_so_collections_skip_it():
    """A full garbage collection of a web worker walked the code list's objects too: about 120 ms each. Timed
    against the same collection with the objects unfrozen, in the same process (a ratio holds on a busy
    machine)."""
    frozen, frozen_ms, unfrozen_ms = run(
        "import gc, time; import config.wsgi\n"
        "def pause():\n"
        "    t = time.perf_counter(); gc.collect(); return (time.perf_counter() - t) * 1000\n"
        "frozen = gc.get_freeze_count(); a = min(pause() for _ in range(3)); gc.unfreeze()\n"
        "b = min(pause() for _ in range(3)); print(frozen, a, b)"
    ).split()
    assert int(frozen) > 300_000  # Django and the code list
    assert float(frozen_ms) * 5 < float(unfrozen_ms)
