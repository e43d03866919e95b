"""Stored impact previews lose what identified patients: the `affected` list (screening, patient id and MRN
with the findings added and removed) and the problem messages of unscreenable intakes (which can quote an
answer). What the list said about rules is kept as counts with screening ids, the shape screening.impact
now computes; a preview over fewer screenings than the minimum is withheld whole. Backward: nothing to do
(what was dropped is not restored)."""

from collections import defaultdict

from django.conf import settings
from django.db import migrations

IDS_PER_ROW = 200  # screening.impact.IDS_PER_ROW when this was written


def _ids(ids):
    ordered = sorted(ids)
    return ordered[:IDS_PER_ROW], max(0, len(ordered) - IDS_PER_ROW)


def private_result(result, total, minimum):
    """The old result (with `affected`) in the new shape; any other result as it is."""
    if not isinstance(result, dict) or "affected" not in result:
        return result
    affected = [a for a in result.get("affected") or [] if isinstance(a, dict) and "screening" in a]
    unscreenable = [
        u["screening"] for u in result.get("unscreenable") or [] if isinstance(u, dict) and "screening" in u
    ]
    evaluated = max(0, total - len(unscreenable))
    if evaluated < minimum:
        return {"too_few": evaluated, "minimum": minimum}
    changed, newly, no_longer = defaultdict(list), defaultdict(list), defaultdict(list)
    for a in affected:
        if a.get("old") != a.get("new"):
            changed[(a.get("old"), a.get("new"))].append(a["screening"])
        for code in a.get("added") or []:
            newly[code].append(a["screening"])
        for code in a.get("removed") or []:
            no_longer[code].append(a["screening"])
    transitions = []
    for t in result.get("transitions") or []:
        # Only the changed verdicts' screenings were listed: the others are counted in `more`.
        shown, _ = _ids(changed.get((t.get("old"), t.get("new")), []))
        count = t.get("count", 0)
        transitions.append(
            {"old": t.get("old"), "new": t.get("new"), "count": count, "screenings": shown,
             "more": max(0, count - len(shown))}
        )
    rules = []
    for code in sorted(set(newly) | set(no_longer)):
        newly_shown, newly_more = _ids(newly[code])
        no_longer_shown, no_longer_more = _ids(no_longer[code])
        rules.append(
            {"code": code, "newly_firing": len(newly[code]), "no_longer_firing": len(no_longer[code]),
             "screenings_newly": newly_shown, "more_newly": newly_more,
             "screenings_no_longer": no_longer_shown, "more_no_longer": no_longer_more}
        )
    unscreenable_shown, unscreenable_more = _ids(unscreenable)
    private = {
        "evaluated": evaluated,
        "transitions": transitions,
        "changed_verdicts": result.get("changed_verdicts", 0),
        "rules": rules,
        "unscreenable": {"count": len(unscreenable), "screenings": unscreenable_shown, "more": unscreenable_more},
    }
    if "baseline" in result:
        private["baseline"] = result["baseline"]
    return private


def forwards(apps, schema_editor):
    ImpactPreview = apps.get_model("screening", "ImpactPreview")
    minimum = getattr(settings, "RULES_IMPACT_MIN_SCREENINGS", 10)
    for preview in ImpactPreview.objects.only("pk", "total", "result").iterator():
        result = private_result(preview.result, preview.total, minimum)
        if result is not preview.result:
            # update(), not save(): the preview's updated_at stays as it was
            ImpactPreview.objects.filter(pk=preview.pk).update(result=result)


class Migration(migrations.Migration):

    dependencies = [
        ('screening', '0013_impact_preview_date_range'),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
