"""The change between two versions of a rule or of a rule set, in words: "systolic 160 → 150", "case 'no
escort fires': must fire yes → no", "validity days 30 → 14". The diff and history pages show these."""

from __future__ import annotations

import difflib
import json
from typing import Any

from screening.engine import REGISTRY

from .rows import intake_rows, value_text

ARROW = "→"


class _Absent:
    def __repr__(self) -> str:
        return "(none)"


ABSENT = _Absent()
LIST_SHOWN = 8


def label(name: str) -> str:
    return name.replace("_", " ")


def words(value: Any) -> str:
    """A value in a sentence: yes/no for a bool, a list as its items, text as itself, (none) when absent."""
    if value is ABSENT or value == [] or value == "":
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        shown = [words(v) for v in value[:LIST_SHOWN]]
        more = len(value) - LIST_SHOWN
        return ", ".join(shown) + (f" … (+{more} more)" if more > 0 else "")
    if isinstance(value, str):
        return value
    return value_text(value)


def _change(lead: str, old: Any, new: Any) -> str:
    """ "systolic 160 → 150"; a long list by what it gained and lost ("atc prefixes added N05CX")."""
    if isinstance(old, list) and isinstance(new, list) and len(set(map(str, old + new))) > 6:
        added = [v for v in new if v not in old]
        removed = [v for v in old if v not in new]
        parts = ([f"added {words(added)}"] if added else []) + (
            [f"removed {words(removed)}"] if removed else []
        )
        return f"{lead} " + ("; ".join(parts) if parts else "reordered")
    return f"{lead} {words(old)} {ARROW} {words(new)}".strip()


def predicate_words(predicate: Any) -> str:
    """A predicate in one line: "all of (answer in (answer pregnancy, values unknown); age (min 12))"."""
    if not isinstance(predicate, dict):
        return words(predicate)
    kind, params = predicate.get("kind"), predicate.get("params") or {}
    if kind in ("all", "any") and isinstance(params.get("of"), list):
        return f"{kind} of (" + "; ".join(predicate_words(p) for p in params["of"]) + ")"
    if kind == "not" and "predicate" in params:
        return f"not ({predicate_words(params['predicate'])})"
    parts = ", ".join(f"{label(name)} {words(value)}" for name, value in params.items())
    return f"{label(str(kind))} ({parts})" if parts else label(str(kind))


def predicate_changes(old: Any, new: Any, where: str = "") -> list[str]:
    """What changed from one predicate to the other, parameter by parameter, down the tree."""
    lead = f"{where}: " if where else ""
    if old == new:
        return []
    if not (isinstance(old, dict) and isinstance(new, dict)) or old.get("kind") != new.get("kind"):
        old_kind = old.get("kind") if isinstance(old, dict) else words(old)
        new_kind = new.get("kind") if isinstance(new, dict) else words(new)
        return [f"{lead}kind {old_kind} {ARROW} {new_kind}: now {predicate_words(new)}"]
    spec = REGISTRY.get(new.get("kind"))
    old_params, new_params = old.get("params") or {}, new.get("params") or {}
    lines: list[str] = []
    for name in [*new_params, *(n for n in old_params if n not in new_params)]:
        before, after = old_params.get(name, ABSENT), new_params.get(name, ABSENT)
        if before == after:
            continue
        kind = spec.params[name].type if spec and name in spec.params else ""
        if kind == "predicate_list" and isinstance(before, list) and isinstance(after, list):
            lines += _conditions_changes(before, after, where)
        elif kind == "predicate":
            lines += predicate_changes(before, after, f"{where} › not" if where else "not")
        else:
            lines.append(_change(f"{lead}{label(name)}", before, after))
    return lines


def _conditions_changes(old: list, new: list, where: str) -> list[str]:
    """The conditions of all/any, aligned so that an inserted one reads as added, not as every later one
    changed."""

    def key(p):
        return json.dumps(p, sort_keys=True)

    prefix = f"{where} › " if where else ""
    lines: list[str] = []
    matcher = difflib.SequenceMatcher(a=[key(p) for p in old], b=[key(p) for p in new], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0  # changed in place, the rest added/removed
        for i, j in zip(range(i1, i1 + paired), range(j1, j1 + paired), strict=True):
            lines += predicate_changes(old[i], new[j], f"{prefix}condition {j + 1}")
        lines += [
            f"{prefix}removed condition {i + 1}: {predicate_words(old[i])}" for i in range(i1 + paired, i2)
        ]
        lines += [
            f"{prefix}added condition {j + 1}: {predicate_words(new[j])}" for j in range(j1 + paired, j2)
        ]
    return lines


def intake_changes(old: Any, new: Any, lead: str = "intake") -> list[str]:
    before = dict(intake_rows(old)) if isinstance(old, dict) else {"": value_text(old)}
    after = dict(intake_rows(new)) if isinstance(new, dict) else {"": value_text(new)}
    return [
        f"{lead} {path} {before.get(path, '(none)')} {ARROW} {after.get(path, '(none)')}"
        for path in [*after, *(p for p in before if p not in after)]
        if before.get(path) != after.get(path)
    ]


def _by_name(cases: list) -> dict[tuple[str, int], Any]:
    """Test cases keyed by name (and which one of that name, when two share it)."""
    keyed: dict[tuple[str, int], Any] = {}
    for case in cases:
        name = str(case.get("name", "")) if isinstance(case, dict) else words(case)
        n = 0
        while (name, n) in keyed:
            n += 1
        keyed[(name, n)] = case
    return keyed


def cases_changes(old: Any, new: Any) -> list[str]:
    """Test cases added, removed and changed, by name."""
    if not (isinstance(old, list) and isinstance(new, list)):
        return [_change("", old, new)]
    before, after = _by_name(old), _by_name(new)
    lines = []
    for key, case in after.items():
        if key not in before:
            fires = "yes" if isinstance(case, dict) and case.get("fires") else "no"
            rows = intake_rows(case.get("intake", {})) if isinstance(case, dict) else []
            intake = "; ".join(f"{p} = {v}" for p, v in rows) or "the baseline"
            lines.append(f"case '{key[0]}' added: must fire {fires}; intake {intake}")
        elif case != before[key] and isinstance(case, dict) and isinstance(before[key], dict):
            parts = []
            if case.get("fires") != before[key].get("fires"):
                parts.append(_change("must fire", before[key].get("fires"), case.get("fires")))
            parts += intake_changes(before[key].get("intake", {}), case.get("intake", {}))
            lines.append(f"case '{key[0]}': " + "; ".join(parts or ["changed"]))
    lines += [f"case '{key[0]}' removed" for key in before if key not in after]
    if not lines and old != new:
        lines.append("test cases reordered")
    return lines


def reasons_changes(old: Any, new: Any) -> list[str]:
    def keyed(reasons):
        return {r.get("code"): r.get("display") for r in reasons or [] if isinstance(r, dict)}

    before, after = keyed(old), keyed(new)
    lines = [f"reason {code} added ({display})" for code, display in after.items() if code not in before]
    lines += [
        _change(f"reason {code}:", before[code], display)
        for code, display in after.items()
        if code in before and before[code] != display
    ]
    lines += [f"reason {code} removed ({display})" for code, display in before.items() if code not in after]
    return lines or (["reasons reordered"] if old != new else [])


def field_changes(field: str, old: Any, new: Any) -> list[str]:
    """One field of a rule (document or history record), old and new, in words."""
    if field == "predicate":
        return predicate_changes(old, new)
    if field == "tests":
        return cases_changes(old or [], new or [])
    if field == "override_reasons":
        return reasons_changes(old, new)
    if field == "override":
        return [f"{old or '(the severity default)'} {ARROW} {new or '(the severity default)'}"]
    return [_change("", ABSENT if old is None else old, ABSENT if new is None else new)]


RULE_FIELDS = (
    "severity",
    "title",
    "action",
    "sources",
    "enabled",
    "predicate",
    "tests",
    "override",
    "override_reasons",
)


def rule_changes(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """Each changed field of a rule document with its changes in words."""
    return [
        (name, field_changes(name, old.get(name), new.get(name)))
        for name in RULE_FIELDS
        if old.get(name) != new.get(name)
    ]


PROTOCOL_PAIRS = {
    "dose_mg_per_kg": ("dose mg/kg low", "dose mg/kg high"),
    "infusion_minutes": ("infusion minutes shortest", "infusion minutes longest"),
}


def protocol_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """A rule set's protocol numbers and checklist, old and new, in words ("validity days 30 → 14")."""
    lines = []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key, ABSENT), new.get(key, ABSENT)
        if before == after:
            continue
        pair = PROTOCOL_PAIRS.get(key)
        if pair and isinstance(before, list) and isinstance(after, list) and len(before) == len(after) == 2:
            lines += [_change(pair[i], before[i], after[i]) for i in (0, 1) if before[i] != after[i]]
        elif key == "checklist" and isinstance(before, list) and isinstance(after, list):
            lines += _checklist_changes(before, after)
        else:
            lines.append(_change(label(key), before, after))
    return lines


def _checklist_changes(old: list, new: list) -> list[str]:
    def keyed(items):
        return {i.get("text"): i.get("sources", []) for i in items if isinstance(i, dict)}

    before, after = keyed(old), keyed(new)
    lines = [f"checklist item added: '{t}' (sources {words(s)})" for t, s in after.items() if t not in before]
    lines += [
        _change(f"checklist item '{t}': sources", before[t], s)
        for t, s in after.items()
        if t in before and before[t] != s
    ]
    lines += [f"checklist item removed: '{t}'" for t in before if t not in after]
    return lines or ["checklist reordered"]
