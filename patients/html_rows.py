"""The patient page's repeated rows, written in Python rather than in template loops (issue 16): the page
shows every answer section at once (about 40 answers, 120 choices) and a row per medication and reading,
and the template engine spent most of the page's time on them (a 40-medication, 30-reading record: 37 and
31 ms of rows). The markup is the templates' own; every value written into it is escaped.

- answer rows of a section card (templates/patients/includes/section_card.html): a radio group per
  yes/no/unknown answer, a number input for counts, errors on their field;
- medication rows (patients/includes/medications.html) and reading rows (blood_pressure.html), through
  the `patient_rows` template tags."""

from html import escape

from django.utils import timezone
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe

INVALID = ' aria-invalid="true"'


def _errors(field: dict) -> str:
    return "".join(
        f'<div class="invalid-feedback d-block w-100" id="{field["id"]}_error">{escape(str(error))}</div>'
        for error in field["errors"]
    )


def _choice_row(field: dict) -> str:
    fid, name, value, invalid = field["id"], escape(field["name"]), field["value"], bool(field["errors"])
    described = f' aria-describedby="{fid}_error"' if invalid else ""
    flag = " text-danger fw-semibold" if value == "unknown" else ""
    radios = []
    for i, (choice, text) in enumerate(field["choices"]):
        radios.append(
            '<div class="form-check form-check-inline mb-0 me-0 small">'
            f'<input class="form-check-input{" is-invalid" if invalid else ""}" type="radio" name="{name}" '
            f'id="{fid}_{i}" value="{escape(str(choice))}"{" checked" if str(choice) == value else ""}'
            f"{INVALID if invalid else ''}>"
            f'<label class="form-check-label" for="{fid}_{i}">{escape(str(text))}</label></div>'
        )
    return (
        '<div class="answer d-flex flex-wrap justify-content-between align-items-center column-gap-2 '
        f'border-bottom py-1" role="radiogroup" aria-labelledby="{fid}_label"{described}>'
        f'<span class="small{flag}" id="{fid}_label">{escape(str(field["label"]))}</span>'
        f'<div class="d-flex flex-wrap gap-2">{"".join(radios)}</div>{_errors(field)}</div>'
    )


def _number_row(field: dict) -> str:
    fid, value, invalid = field["id"], field["value"], bool(field["errors"])
    flag = " text-danger fw-semibold" if value == "" else ""
    return (
        '<div class="answer d-flex flex-wrap justify-content-between align-items-center gap-1 border-bottom py-1">'
        f'<label class="small mb-0{flag}" for="{fid}">{escape(str(field["label"]))}</label>'
        f'<input class="form-control form-control-sm w-auto{" is-invalid" if invalid else ""}" type="number" '
        f'name="{escape(field["name"])}" id="{fid}" value="{escape(str(value))}" min="0" step="1" '
        f'inputmode="numeric" size="4" aria-describedby="{fid}_help{f" {fid}_error" if invalid else ""}"'
        f"{INVALID if invalid else ''}>"
        f'<div class="form-text w-100 mt-0" id="{fid}_help">{escape(str(field["help"]))}</div>'
        f"{_errors(field)}</div>"
    )


def answer_rows_html(fields: list[dict]) -> SafeString:
    """Every answer row of one section card; every value written into the page is escaped."""
    return mark_safe(  # noqa: S308 - each interpolated value is escaped above
        "\n".join(_choice_row(f) if f["choices"] else _number_row(f) for f in fields)
    )


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")  # as the template's date:"Y-m-d H:i"


def reading_rows_html(readings, added, delete_url) -> SafeString:
    """`delete_url(pk)`: the row's Remove URL; `added`: the id of the row just added (it takes the focus)."""
    rows = []
    for r in readings:
        when, bp, url = _when(r.taken_at), f"{r.systolic}/{r.diastolic}", escape(delete_url(r.pk))
        focus = ' tabindex="-1" autofocus class="table-success"' if r.pk == added else ""
        rows.append(
            f"<tr{focus}><td>{when}</td><td>{bp}</td><td>{r.heart_rate or '—'}</td>"
            f'<td class="text-end"><button type="submit" formaction="{url}" hx-post="{url}" '
            f'class="btn btn-sm btn-outline-danger" aria-label="Remove reading {bp}" '
            f'data-confirm="Remove the reading {bp} of {when}?">Remove</button></td></tr>'
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - numbers, times and escaped URLs only


def _dose(m) -> str:
    if m.dose_mg is None:
        return '<span class="text-danger">unknown</span>'
    return f"{escape(localize(m.dose_mg.normalize()))} mg"


def _frequency(m) -> str:
    if m.as_needed:
        if m.max_doses_per_day:
            return f"as needed, up to {m.max_doses_per_day}/day"
        return 'as needed, <span class="text-danger">max/day unknown</span>'
    if m.times_per_day:
        return f"{m.times_per_day}× per day"
    return '<span class="text-danger">unknown</span>'


def medication_rows_html(medications, *, editing, focus_row, focus_edit, edit_url, delete_url, edit_cells):
    """`edit_url(pk)`, `delete_url(pk)`: the row's URLs; `editing`: the id of the row shown as a form, whose
    cells `edit_cells(m)` renders (the edit form's template); `focus_row` / `focus_edit`: the row, or its
    Edit button, that takes the focus after a save or a cancel."""
    rows = []
    for m in medications:
        name, entry = escape(m.name), m.formulary_entry
        if m.pk == editing:
            attrs = ' class="table-active" data-testid="medication-edit-row"'
        else:
            attrs = "" if entry else ' class="table-warning"'
        if m.pk == focus_row:
            attrs += ' tabindex="-1" autofocus'
        if entry:
            codes = ", ".join(escape(str(code)) for code in entry.atc)
            resolved = f'{escape(entry.generic)} <small class="text-body-secondary">{codes}</small>'
        else:
            resolved = '<span class="badge text-bg-danger">Not in formulary</span>'
        if m.pk == editing:
            cells = f'<td colspan="3">{edit_cells(m)}</td>'
        else:
            edit, remove = escape(edit_url(m.pk)), escape(delete_url(m.pk))
            autofocus = " autofocus" if m.pk == focus_edit else ""
            danger = "btn-outline-danger" if entry else "btn-danger"
            cells = (
                f"<td>{_dose(m)}</td><td>{_frequency(m)}</td>"
                f'<td class="text-end text-nowrap"><a href="{edit}" hx-get="{edit}" class="btn btn-sm '
                f'btn-outline-dark" aria-label="Edit {name}"{autofocus}>Edit</a> <button type="submit" '
                f'formaction="{remove}" hx-post="{remove}" class="btn btn-sm {danger}" '
                f'aria-label="Remove {name}" data-confirm="Remove {name} from the medication list?">Remove'
                "</button></td>"
            )
        rows.append(f"<tr{attrs}><td>{name}</td><td>{resolved}</td>{cells}</tr>")
    return mark_safe("\n".join(rows))  # noqa: S308 - every stored text is escaped above
