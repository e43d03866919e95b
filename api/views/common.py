"""What the API operations share: the router, the two refusals and reading a JSON document."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from core.documents import DocumentUnreadable, parse_json
from screening.intake import IntakeInvalid

router = Router()


class Refused(Exception):
    """409: the record's state does not allow this; `problems` lists what is wrong with it, if anything."""

    def __init__(self, message: str, problems=()):
        super().__init__(message)
        self.problems = list(problems)


class Invalid(Exception):
    """400: the request itself is wrong; every problem by path."""

    def __init__(self, problems):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = list(problems)


def read_document(request: HttpRequest) -> Any:
    try:
        return parse_json(request.body)
    except DocumentUnreadable as exc:
        raise Invalid([{"path": exc.path or "document", "message": exc.message}]) from exc


def intake_problems(exc: IntakeInvalid) -> list[dict[str, str]]:
    return [problem.as_dict() for problem in exc.problems]
