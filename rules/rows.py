"""Rule data typed as text and as rows, without JSON: a value as the text of one form field (and back), an
intake as rows of (dotted path, value), and a rule's test cases, override reasons and a protocol's
checklist as numbered rows of fields. Pure: plain data in, plain data and problems out.

Field names: test case k posts "t.<k>.name", "t.<k>.fires" and "t.<k>.remove" ("on" when ticked) and its
intake rows "t.<k>.r.<j>.path" and "t.<k>.r.<j>.value"; a test baseline's rows are "b.r.<j>.path|value";
override reasons "or.<i>.code|display"; checklist items "cl.<i>.text|sources|remove". Blank rows are
ignored, so a page can offer a few to fill in. Each problem's path is the field it belongs to.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from core.documents import DocumentUnreadable, parse_json
from screening.engine.problems import Problem

JSON_DEPTH_MAX = 32  # far deeper than any intake or predicate; PostgreSQL and json.dumps stay well clear
NUMBER_MAX = 10**15  # larger numbers are typing slips, and lose precision on their way through a float
PATH_MAX = 200
ROWS_DEPTH_MAX = 8  # an intake nested deeper is shown as JSON text in one row
INDEX_DIGITS = 3  # row and case numbers a page posts (more is not a page's doing)
TOKEN_SPLIT = re.compile(r"[\s,;]+")


def read_json_text(text: str) -> Any:
    """JSON typed into a form, refused unless PostgreSQL can store it (DocumentUnreadable says why, in the
    form's words): what the shared reader refuses (not JSON, nested deeper than JSON_DEPTH_MAX, NaN or
    Infinity, a NUL character or an unpaired surrogate anywhere), and a number beyond NUMBER_MAX."""
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise DocumentUnreadable(
            "contains a character that is not text (an unpaired surrogate)", path=None, code="text"
        ) from exc
    try:
        value = parse_json(raw, max_depth=JSON_DEPTH_MAX)
    except DocumentUnreadable as exc:  # the row is the path a form shows; say what, in the form's words
        message = FORM_WORDS.get(exc.code, exc.message)
        raise DocumentUnreadable(message, path=None, code=exc.code) from exc
    _check_range(value)
    return value


# What the shared reader refuses, as the rule editor words it (the row, not a JSON path, says where).
FORM_WORDS = {
    "depth": f"nested more than {JSON_DEPTH_MAX} levels deep",
    "nul": "contains a NUL character",
    "number": "a number with more digits than can be read is out of range",
    "not_finite": "NaN, Infinity or a number too large to store (such as 1e400)",
}


def _check_range(value: Any) -> None:
    stack = [value]
    while stack:  # a loop, not recursion
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, int | float) and not isinstance(item, bool) and abs(item) > NUMBER_MAX:
            raise DocumentUnreadable(f"a number beyond ±{NUMBER_MAX:.0e} is out of range", path=None)


def parse_value(text: str) -> Any:
    """A form field's text as a value: JSON when it reads as JSON (70, 70.0, true, null, "70", [...],
    {...}), else the text itself (yes, 2026-11-20, F33.2). Raises DocumentUnreadable for JSON that cannot
    be stored (NaN, too deep, too large, NUL) and for a broken list or object."""
    try:
        return read_json_text(text)
    except DocumentUnreadable as exc:
        plain = exc.code == "syntax" and not text.lstrip().startswith(("[", "{"))
        if plain:
            return text
        raise


def value_text(value: Any) -> str:
    """The text that parse_value reads back as `value`: a plain string as itself, anything else (and a
    string that would read as something else, such as "70" or " x") as JSON."""
    if isinstance(value, str) and value and value == value.strip():
        try:
            if parse_value(value) == value:
                return value
        except DocumentUnreadable:
            pass
    return json.dumps(value, ensure_ascii=False)


def _splittable(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(k, str) and k and "." not in k and k == k.strip() for k in value)
    )


def intake_rows(intake: dict[str, Any]) -> list[tuple[str, str]]:
    """An intake (or part of one) as (dotted path, value text) rows: objects are opened down to their
    values; a list, an empty object or a value nested too deep is one row whose value is JSON text."""
    rows: list[tuple[str, str]] = []

    def walk(value: Any, path: str, depth: int) -> None:
        if _splittable(value) and depth < ROWS_DEPTH_MAX:
            for key, item in value.items():
                walk(item, f"{path}.{key}" if path else key, depth + 1)
        else:
            rows.append((path, value_text(value)))

    if _splittable(intake):
        walk(intake, "", 0)
    elif intake:
        rows.append(("", value_text(intake)))
    return rows


def intake_from_rows(rows: list[tuple[str, str, str]]) -> tuple[dict[str, Any], list[Problem]]:
    """Rows of (field name prefix, dotted path, value text) as an intake object; each problem's path is the
    form field it belongs to ("<prefix>.path" or "<prefix>.value")."""
    intake: dict[str, Any] = {}
    problems: list[Problem] = []
    given: set[str] = set()
    for name, path, text in rows:
        segments = path.split(".")
        if (
            not path
            or len(path) > PATH_MAX
            or "\x00" in path
            or any(not s or s != s.strip() for s in segments)
        ):
            problems.append(Problem(f"{name}.path", "a dotted path such as patient.weight_kg"))
            continue
        if not text:
            problems.append(Problem(f"{name}.value", 'a value (null for "not recorded", "" for empty text)'))
            continue
        try:
            value = parse_value(text)
        except DocumentUnreadable as exc:
            problems.append(Problem(f"{name}.value", str(exc)))
            continue
        node, clash = intake, ""
        for depth, segment in enumerate(segments[:-1]):
            above = ".".join(segments[: depth + 1])
            if above in given or not isinstance(node.get(segment, {}), dict):
                clash = above
                break
            node = node.setdefault(segment, {})
        if clash or segments[-1] in node:
            problems.append(Problem(f"{name}.path", f"{clash or path} is given a value twice"))
            continue
        node[segments[-1]] = value
        given.add(path)
    return intake, problems


# ---------------------------------------------------------------------------------------------- reading posts


def post_text(data, key: str) -> str:
    """One posted value (the last, as QueryDict.get), from a QueryDict or a dict of str or list values."""
    value = data.get(key, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return value if isinstance(value, str) else str(value)


def post_list(data, key: str) -> list[str]:
    values = data.getlist(key) if hasattr(data, "getlist") else data.get(key, [])
    return [str(v) for v in (values if isinstance(values, list) else [values]) if str(v)]


def ticked(data, key: str) -> bool:
    return post_text(data, key).lower() in ("on", "true", "yes", "1")


def split_tokens(text: str) -> list[str]:
    """ "S5, A1" or "N05BA N05CD" as a list of tokens."""
    return [token for token in TOKEN_SPLIT.split(text) if token]


def numbered(data, prefix: str) -> list[str]:
    """The numbers i of the posted fields named "<prefix>.<i>.<...>", in order."""
    start, found = prefix + ".", set()
    for key in data:
        if isinstance(key, str) and key.startswith(start):
            head = key[len(start) :].split(".", 1)[0]
            if head.isdigit() and len(head) <= INDEX_DIGITS:
                found.add(head)
    return sorted(found, key=int)


def rows_from_post(data, prefix: str) -> list[tuple[str, str]]:
    """The (path, value) rows posted as "<prefix>.<j>.path|value", blank ones left out."""
    rows = []
    for j in numbered(data, prefix):
        path = post_text(data, f"{prefix}.{j}.path").strip()
        value = post_text(data, f"{prefix}.{j}.value").strip()
        if path or value:
            rows.append((path, value))
    return rows


def rows_to_post(rows: list[tuple[str, str]], prefix: str) -> dict[str, str]:
    post = {}
    for j, (path, value) in enumerate(rows):
        post[f"{prefix}.{j}.path"] = path
        post[f"{prefix}.{j}.value"] = value
    return post


def _nul(text: str, at: str) -> list[Problem]:
    return [Problem(at, "contains a NUL character")] if "\x00" in text else []


# ---------------------------------------------------------------------------------------------- test cases


@dataclass
class CaseDraft:
    name: str = ""
    fires: bool = False
    remove: bool = False
    rows: list[tuple[str, str]] = field(default_factory=list)


def cases_of(tests: Any) -> list[CaseDraft]:
    return [
        CaseDraft(
            str(case.get("name", "")),
            case.get("fires") is True,
            False,
            intake_rows(case["intake"]) if isinstance(case.get("intake"), dict) else [],
        )
        for case in (tests if isinstance(tests, list) else [])
        if isinstance(case, dict)
    ]


def cases_from_post(data, prefix: str = "t") -> list[CaseDraft]:
    cases = []
    for i in numbered(data, prefix):
        at = f"{prefix}.{i}"
        case = CaseDraft(
            post_text(data, f"{at}.name").strip(),
            ticked(data, f"{at}.fires"),
            ticked(data, f"{at}.remove"),
            rows_from_post(data, f"{at}.r"),
        )
        if case.name or case.rows:
            cases.append(case)
    return cases


def cases_to_post(cases: list[CaseDraft], prefix: str = "t") -> dict[str, str]:
    post = {}
    for k, case in enumerate(cases):
        at = f"{prefix}.{k}"
        post[f"{at}.name"] = case.name
        post.update({f"{at}.fires": "on"} if case.fires else {})
        post.update({f"{at}.remove": "on"} if case.remove else {})
        post.update(rows_to_post(case.rows, f"{at}.r"))
    return post


def rule_tests_of(cases: list[CaseDraft], prefix: str = "t") -> tuple[list[dict], list[Problem], list[int]]:
    """The test cases not marked for removal, the problems, and the place on the page of each case kept."""
    tests, problems, kept = [], [], []
    for k, case in enumerate(cases):
        if case.remove:
            continue
        at = f"{prefix}.{k}"
        if not case.name:
            problems.append(Problem(f"{at}.name", "name this case (or tick remove)"))
        problems += _nul(case.name, f"{at}.name")
        intake, found = intake_from_rows([(f"{at}.r.{j}", p, v) for j, (p, v) in enumerate(case.rows)])
        problems += found
        tests.append({"name": case.name, "intake": intake, "fires": case.fires})
        kept.append(k)
    return tests, problems, kept


def rule_tests_to_post(tests: list[dict]) -> dict[str, str]:
    return cases_to_post(cases_of(tests))


def rule_tests_from_post(data) -> tuple[list[dict] | None, list[Problem]]:
    tests, problems, _ = rule_tests_of(cases_from_post(data))
    return (None, problems) if problems else (tests, [])


# ---------------------------------------------------------------------------------------------- reasons, checklist


def reasons_to_post(reasons: Any, prefix: str = "or") -> dict[str, str]:
    post = {}
    for i, reason in enumerate(
        r for r in (reasons if isinstance(reasons, list) else []) if isinstance(r, dict)
    ):
        post[f"{prefix}.{i}.code"] = str(reason.get("code", ""))
        post[f"{prefix}.{i}.display"] = str(reason.get("display", ""))
    return post


def reason_rows_from_post(data, prefix: str = "or") -> list[tuple[str, str]]:
    rows = []
    for i in numbered(data, prefix):
        code = post_text(data, f"{prefix}.{i}.code").strip()
        display = post_text(data, f"{prefix}.{i}.display").strip()
        if code or display:
            rows.append((code, display))
    return rows


def reasons_of(rows: list[tuple[str, str]], prefix: str = "or") -> tuple[list[dict], list[Problem]]:
    """The override reasons (the engine checks their codes and texts; row i is reason i)."""
    problems = [p for i, (c, d) in enumerate(rows) for p in _nul(c + d, f"{prefix}.{i}.display")]
    return [{"code": code, "display": display} for code, display in rows], problems


@dataclass
class ChecklistDraft:
    text: str = ""
    sources: str = ""
    remove: bool = False


def checklist_drafts(checklist: Any) -> list[ChecklistDraft]:
    items = [i for i in (checklist if isinstance(checklist, list) else []) if isinstance(i, dict)]
    return [ChecklistDraft(str(i.get("text", "")), ", ".join(map(str, i.get("sources", [])))) for i in items]


def checklist_from_post(data, prefix: str = "cl") -> list[ChecklistDraft]:
    drafts = []
    for i in numbered(data, prefix):
        at = f"{prefix}.{i}"
        draft = ChecklistDraft(
            post_text(data, f"{at}.text").strip(),
            post_text(data, f"{at}.sources").strip(),
            ticked(data, f"{at}.remove"),
        )
        if draft.text or draft.sources:
            drafts.append(draft)
    return drafts


def checklist_of(
    drafts: list[ChecklistDraft], prefix: str = "cl"
) -> tuple[list[dict], list[Problem], list[int]]:
    """The checklist items not marked for removal (no sources: no "sources" key), problems, places kept."""
    items, problems, kept = [], [], []
    for i, draft in enumerate(drafts):
        if draft.remove:
            continue
        problems += _nul(draft.text, f"{prefix}.{i}.text") + _nul(draft.sources, f"{prefix}.{i}.sources")
        sources = split_tokens(draft.sources)
        items.append({"text": draft.text, **({"sources": sources} if sources else {})})
        kept.append(i)
    return items, problems, kept
