"""PostgreSQL keeps a published rule set as it was published, whatever the caller: triggers, not only the
models' save().

- screening_ruleset: once a set is no longer a draft, an UPDATE that changes its content (version, protocol,
  test_baseline, sha256, note, published_at) or makes it a draft again is refused, and so is a DELETE. Its
  lifecycle and governance columns (status, is_active, activated_*, retired_*, submitted_*, approved_by,
  self_approved, published_by_product) stay writable: publishing one set retires another.
- screening_rule: INSERT, UPDATE and DELETE of a rule whose set is not a draft are refused.
- the change history of both (rules_historicalruleset, screening_historicalrule): UPDATE and DELETE refused
  (the trigger function of core 0005), except the retention purge (core.retention).

A test that plays an attacker with database access disables the trigger around its raw statement."""

from django.db import migrations

RULESET_FUNCTION = """
CREATE OR REPLACE FUNCTION preinfusion_published_ruleset() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'draft' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'rule set % is %: only a draft is deleted (DELETE refused)', OLD.version, OLD.status
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.status = 'draft'
        OR NEW.version IS DISTINCT FROM OLD.version
        OR NEW.protocol IS DISTINCT FROM OLD.protocol
        OR NEW.test_baseline IS DISTINCT FROM OLD.test_baseline
        OR NEW.sha256 IS DISTINCT FROM OLD.sha256
        OR NEW.note IS DISTINCT FROM OLD.note
        OR NEW.published_at IS DISTINCT FROM OLD.published_at
    THEN
        RAISE EXCEPTION 'rule set % is %: its content is never changed (UPDATE refused)', OLD.version, OLD.status
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
"""
RULE_FUNCTION = """
CREATE OR REPLACE FUNCTION preinfusion_rule_of_draft() RETURNS trigger AS $$
DECLARE
    set_status text;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT status INTO set_status FROM screening_ruleset WHERE id = OLD.ruleset_id;
        IF set_status <> 'draft' THEN
            RAISE EXCEPTION 'rule % belongs to a % rule set: % refused', OLD.code, set_status, TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    SELECT status INTO set_status FROM screening_ruleset WHERE id = NEW.ruleset_id;
    IF set_status <> 'draft' THEN
        RAISE EXCEPTION 'rule % belongs to a % rule set: % refused', NEW.code, set_status, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
"""
TRIGGERS = (
    "CREATE TRIGGER screening_ruleset_published BEFORE UPDATE OR DELETE ON screening_ruleset "
    "FOR EACH ROW EXECUTE FUNCTION preinfusion_published_ruleset()",
    "CREATE TRIGGER screening_rule_of_draft BEFORE INSERT OR UPDATE OR DELETE ON screening_rule "
    "FOR EACH ROW EXECUTE FUNCTION preinfusion_rule_of_draft()",
)
HISTORY_TABLES = ("rules_historicalruleset", "screening_historicalrule")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(RULESET_FUNCTION, params=None)
    schema_editor.execute(RULE_FUNCTION, params=None)
    for trigger in TRIGGERS:
        schema_editor.execute(trigger, params=None)
    for table in HISTORY_TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION preinfusion_append_only()",
            params=None,
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in HISTORY_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}", params=None)
    schema_editor.execute("DROP TRIGGER IF EXISTS screening_rule_of_draft ON screening_rule", params=None)
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS screening_ruleset_published ON screening_ruleset", params=None
    )
    schema_editor.execute("DROP FUNCTION IF EXISTS preinfusion_rule_of_draft()", params=None)
    schema_editor.execute("DROP FUNCTION IF EXISTS preinfusion_published_ruleset()", params=None)


class Migration(migrations.Migration):
    dependencies = [("rules", "0004_governance"), ("core", "0005_append_only_triggers")]

    operations = [migrations.RunPython(forwards, backwards)]
