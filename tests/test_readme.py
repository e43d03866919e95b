"""The README's commands work as written: each `.venv/bin/python manage.py ...` line of its "Users for a clinic"
and "Command line" sections runs, in order, in a shell, on a scratch database prepared as `make run` prepares
one (migrate, load_defaults, the demo accounts), with nothing set by hand but the scratch `.env` file
that `make setup` would write. A non-zero exit fails the test.
"""

import os
import re
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT

README = ROOT / "README.md"
SECTIONS = ("Users for a clinic", "Command line")
COMMAND = re.compile(r"^\.venv/bin/python manage\.py .+$", re.MULTILINE)
PREPARE = (("migrate", "--noinput"), ("load_defaults",), ("create_demo_accounts",))
PASSWORD = "a-long-readme-test-password-7"


def section(text: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", text, re.MULTILINE | re.DOTALL)
    assert match, f"README has no section '## {title}'"
    return match.group(1)


def readme_commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    return [line for title in SECTIONS for line in COMMAND.findall(section(text, title))]


def asks_for_password(command: str) -> bool:
    return " create_user " in command and "--password-env" not in command and "--no-password" not in command


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A folder that looks like the project to the README's relative paths, with its own .env and database."""
    folder = tmp_path_factory.mktemp("readme")
    for name in (".venv", "manage.py", "examples"):
        (folder / name).symlink_to(ROOT / name)
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_env.py"), str(folder / ".env")], check=True)
    env = clean_env(folder)
    for args in PREPARE:
        subprocess.run(
            [".venv/bin/python", "manage.py", *args], cwd=folder, env=env, check=True, capture_output=True
        )
    return folder


def clean_env(folder) -> dict[str, str]:
    """What a developer's shell has: no DJANGO_*, database or broker variables, only the .env file."""
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ"}}
    return {**keep, "DJANGO_ENV_FILE": str(folder / ".env")}


def run_at_a_terminal(command: str, cwd, env) -> tuple[int, str]:
    """Run under a pseudo-terminal and answer the password prompts, as a person would."""
    leader, follower = os.openpty()
    proc = subprocess.Popen(
        ["bash", "-c", command], cwd=cwd, env=env, stdin=follower, stdout=follower, stderr=follower
    )
    os.close(follower)
    output, answered = b"", 0
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the command ended
            break
        output += chunk
        while output.count(b"Password") > answered:
            os.write(leader, (PASSWORD + "\n").encode())
            answered += 1
    os.close(leader)
    return proc.wait(timeout=30), output.decode(errors="replace")


def test_the_readme_documents_commands():
    commands = readme_commands()

    assert len(commands) >= 15
    assert any(" api_token " in c for c in commands)
    assert any(" create_user " in c for c in commands)


def test_every_readme_command_works_as_written(workdir):
    env = clean_env(workdir)
    failures = []
    for command in readme_commands():
        if asks_for_password(command):
            code, output = run_at_a_terminal(command, workdir, env)
        else:
            done = subprocess.run(
                ["bash", "-c", command], cwd=workdir, env=env, capture_output=True, text=True, timeout=120
            )
            code, output = done.returncode, done.stdout[-500:] + done.stderr[-1500:]
        if code != 0:
            failures.append(f"$ {command}\nexit {code}\n{output}")

    assert failures == []
    # what the commands wrote stayed in the scratch folder
    assert (workdir / "consult.pdf").read_bytes().startswith(b"%PDF")
    assert (workdir / "rules.md").read_text(encoding="utf-8").startswith("# Rule catalogue")
    assert not (ROOT / "consult.pdf").exists()
    assert not (ROOT / "rules.json").exists()
