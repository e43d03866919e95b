"""Write a local development `.env` (git-ignored) unless one exists: DEBUG on, a fresh secret key, SQLite,
two-factor sign-in not enforced (so the demo accounts work with their passwords).

`make setup` runs it, so every documented command works with no variable set by hand. It never overwrites
an existing file: a developer's own settings stay. Production never uses this file; it sets its own
environment, and without DEBUG the settings refuse to start with no secret key.

Usage: python scripts/make_env.py [PATH]   (default: .env beside manage.py)
"""

import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TEMPLATE = """\
# Local development settings written by `make setup` (scripts/make_env.py). Git-ignored; never deploy it.
# Real environment variables win over these. See .env.example for every name the settings read.
DJANGO_DEBUG=1
DJANGO_SECRET_KEY={secret}
DATABASE_URL=sqlite:///{database}
# No CELERY_BROKER_URL: Celery tasks run eagerly in-process (set one and run `make worker` for a real queue).
# The demo accounts sign in with a password alone: no authenticator app needed on a laptop. Never in
# production (it is on unless turned off); set 1 here to try two-factor sign-in (docs/security.md).
TWO_FACTOR_ENFORCED=0
"""


def env_text(database: Path) -> str:
    return TEMPLATE.format(secret=secrets.token_urlsafe(50), database=database)


def main(argv: list[str]) -> int:
    target = Path(argv[1]) if len(argv) > 1 else ROOT / ".env"
    database = target.resolve().parent / "db.sqlite3"
    try:
        # created readable by its owner only, and never over an existing file (O_EXCL)
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        print(f"{target} exists; left as it is")
        return 0
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(env_text(database))
    print(f"{target} written (DEBUG on, new secret key, SQLite at {database})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
