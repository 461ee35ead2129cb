"""sessions.last_seen_at (the user's list of sessions) and recovery_codes.minted_by_session_id
(a session may not confirm a change with recovery codes it was shown itself)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('twofactor', '0004_authenticator_count')]

    initial = False

    operations = [
        ops.AddField(
            model_name='RecoveryCode',
            name='minted_by_session_id',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Session',
            name='last_seen_at',
            field=fields.DatetimeField(null=True),
        ),
    ]
