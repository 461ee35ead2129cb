"""users.authenticator_count, kept by triggers on every insert into and delete from authenticators.

A statement that locks a user's row then reads how many authenticators they have as of that
moment, not as of the statement's start (PostgreSQL's `submitCode` in one statement relies
on it). Triggers, not the service's code, so that no path can forget it. An authenticator
never moves between users.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

_SQLITE = (
    'CREATE TRIGGER "authenticators_counted_in" AFTER INSERT ON "authenticators" FOR EACH ROW BEGIN '
    'UPDATE "users" SET "authenticator_count" = "authenticator_count" + 1 WHERE "id" = NEW."user_id"; END',
    'CREATE TRIGGER "authenticators_counted_out" AFTER DELETE ON "authenticators" FOR EACH ROW BEGIN '
    'UPDATE "users" SET "authenticator_count" = "authenticator_count" - 1 WHERE "id" = OLD."user_id"; END',
)
_POSTGRES = (
    'CREATE FUNCTION "authenticators_counted"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN '
    "IF TG_OP = 'INSERT' THEN "
    'UPDATE "users" SET "authenticator_count" = "authenticator_count" + 1 WHERE "id" = NEW."user_id"; '
    'ELSE UPDATE "users" SET "authenticator_count" = "authenticator_count" - 1 WHERE "id" = OLD."user_id"; '
    "END IF; RETURN NULL; END $$",
    'CREATE TRIGGER "authenticators_counted" AFTER INSERT OR DELETE ON "authenticators" '
    'FOR EACH ROW EXECUTE FUNCTION "authenticators_counted"()',
)
_COUNT_EXISTING = (
    'UPDATE "users" SET "authenticator_count" = '
    '(SELECT COUNT(*) FROM "authenticators" WHERE "authenticators"."user_id" = "users"."id")'
)
_DROP_SQLITE = ('DROP TRIGGER "authenticators_counted_in"', 'DROP TRIGGER "authenticators_counted_out"')
_DROP_POSTGRES = (
    'DROP TRIGGER "authenticators_counted" ON "authenticators"',
    'DROP FUNCTION "authenticators_counted"()',
)


def _sqlite(schema_editor) -> bool:
    return schema_editor.client.capabilities.dialect == "sqlite"


async def count_authenticators(apps, schema_editor) -> None:
    for sql in (*(_SQLITE if _sqlite(schema_editor) else _POSTGRES), _COUNT_EXISTING):
        await schema_editor.client.execute_query(sql)


async def stop_counting(apps, schema_editor) -> None:
    for sql in _DROP_SQLITE if _sqlite(schema_editor) else _DROP_POSTGRES:
        await schema_editor.client.execute_query(sql)


class Migration(migrations.Migration):
    dependencies = [('twofactor', '0003_lookup_indexes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='authenticator_count',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.RunPython(count_authenticators, stop_counting),
    ]
