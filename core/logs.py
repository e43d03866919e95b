"""Structured logs: every record, structlog's (django-structlog) and the standard library's (Django, Celery,
this app's `log.info("pdf ready pdf_id=%s ...")`), becomes one JSON object a line, with the context bound
for the request or task (request_id, user_id, task_id).

settings.LOGGING_CONFIG names configure_logging: Django calls it with settings.LOGGING at start-up, and the
Celery worker through celery_setup_logging (config/celery.py), so both log alike. No query string reaches a
line: a search's ?q= is a patient's name or MRN (drop_query_strings).
"""

import logging
import logging.config
import re
import sys
import traceback

import structlog
from django.conf import settings

# a path followed by its query string, in any text: "GET /patients/?q=Smith HTTP/1.1"
# the query runs to " HTTP/", a quote or the end of the line: a raw space in a malformed request line
# ("Invalid HTTP request line: 'GET /patients/?q=Jane Doe HTTP/1.1'") does not end it
_QUERY = re.compile(r"(/[^\s?#\"'<>]*)\?[^\"'<>\n]*?(?=\sHTTP/|[\"'<>\n]|$)")
# the fields holding a request line or a URL (django-structlog's "request" is "GET /path?query")
URL_FIELDS = ("request", "path", "url", "referer", "location")


def drop_query_strings(_logger, _method, event_dict: dict) -> dict:
    """Remove the query string from every request line, path and URL of the event: the event's text
    (runserver's access lines), its request and URL fields and any other text value."""
    for key, value in event_dict.items():
        if not isinstance(value, str) or "?" not in value:
            continue
        if key in URL_FIELDS:  # the query is the rest of it, whatever it holds (a raw space too)
            event_dict[key] = value.partition("?")[0]
        else:
            event_dict[key] = _QUERY.sub(r"\1", value)
    return event_dict


# an exception's class, from the start of its repr or text ("ValueError('...')" -> "ValueError")
_CLASS = re.compile(r"^[A-Za-z_][\w.]*")
WITHHELD = "(message withheld)"


def traceback_without_messages(exc_info) -> str:
    """The traceback's frames and exception classes, chained causes too, without any exception's message: a
    database error quotes the row's values, a parsing error the text it could not read."""
    parts: list[str] = []
    seen: set[int] = set()
    error = traceback.TracebackException(*exc_info, capture_locals=False)
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        name = f"{error.exc_type.__module__}.{error.exc_type.__qualname__}" if error.exc_type else "?"
        parts.insert(
            0, "Traceback (most recent call last):\n" + "".join(error.stack.format()) + f"{name} {WITHHELD}\n"
        )
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    return "\nwhile handling the above, another exception:\n\n".join(parts)


def withhold_exception_messages(_logger, _method, event_dict: dict) -> dict:
    """Exceptions reach a line as their class and frames only (traceback_without_messages); django-structlog's
    task lines' `error` and `reason` (an exception's text) as the class alone."""
    exc_info = event_dict.pop("exc_info", None)
    if exc_info is True:
        exc_info = sys.exc_info()
    elif isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    for key, value in list(event_dict.items()):
        if isinstance(value, BaseException):
            event_dict[key] = type(value).__name__
        elif key in ("error", "reason") and isinstance(value, str):
            event_dict[key] = WITHHELD
    if isinstance(exc_info, tuple) and exc_info[0] is not None:
        event_dict["exception"] = traceback_without_messages(exc_info)
    return event_dict


class WithholdTaskErrors(logging.Filter):
    """Celery's own lines on a task that failed or is retried ("... raised unexpected: %(exc)s", "... retry:
    %(exc)s") name the exception's class, not its text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict) and isinstance(record.args.get("exc"), str):
            found = _CLASS.match(record.args["exc"])
            record.args = {**record.args, "exc": f"{found.group(0) if found else ''} {WITHHELD}".strip()}
        return True


# What every line carries, added to structlog's events and to standard-library records alike.
TIMESTAMPER = structlog.processors.TimeStamper(fmt="iso", utc=True)
EVERY_LINE = (
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    TIMESTAMPER,
)


def formatter(renderer: str = "json") -> structlog.stdlib.ProcessorFormatter:
    """The handler's formatter (settings.LOGGING): JSON lines, or readable ones for a developer."""
    if renderer == "plain":  # ConsoleRenderer prints a traceback itself
        steps = [withhold_exception_messages, drop_query_strings, structlog.dev.ConsoleRenderer(colors=False)]
    else:
        steps = [
            withhold_exception_messages,
            drop_query_strings,
            structlog.processors.JSONRenderer(),
        ]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=list(EVERY_LINE),
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *steps],
    )


def configure_logging(config: dict) -> None:
    """settings.LOGGING_CONFIG: the standard library's logging from settings.LOGGING, and structlog's
    loggers handing their events to it (so both go through the same handlers and formatter)."""
    logging.config.dictConfig(config)
    logging.captureWarnings(True)  # Python's warnings too: lines of the "py.warnings" logger, not raw stderr
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *EVERY_LINE,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def celery_setup_logging(loglevel=None, **_) -> None:
    """Celery's setup_logging signal: a worker logs as the web does (instead of Celery's own format), at the
    level its --loglevel names."""
    configure_logging(settings.LOGGING)
    if loglevel:
        logging.getLogger().setLevel(loglevel)


def clear_log_context(**_) -> None:
    """After each task a worker runs: the next lines (the next task received) carry no stale request id."""
    structlog.contextvars.clear_contextvars()
