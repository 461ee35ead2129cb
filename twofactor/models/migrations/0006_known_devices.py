"""Known devices and growing waits (no stranger can lock the owner out).

known_devices: a device token per browser or app that signed in, with its own counters;
sessions remember the device they came from; login_throttles get a wait instead of a lock;
users get a second hourly budget of code mails, for sign-ins not from a known device.
"""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

class Migration(migrations.Migration):
    dependencies = [('twofactor', '0005_session_tracking')]

    initial = False

    operations = [
        ops.CreateModel(
            name='KnownDevice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('twofactor.User', source_field='user_id', db_constraint=True, to_field='id', related_name='devices', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_used_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('login_failures', fields.IntField(default=0)),
                ('second_factor_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('code_failures', fields.IntField(default=0)),
                ('code_blocked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'known_devices', 'app': 'twofactor', 'indexes': [Index(fields=['user_id', 'last_used_at'])], 'pk_attr': 'id', 'table_description': 'A device token of one user, with its own counters.'},
            bases=['Model'],
        ),
        ops.AlterModelOptions(
            name='LoginThrottle',
            options={'table': 'login_throttles', 'app': 'twofactor', 'pk_attr': 'key', 'table_description': 'Wrong passwords in a row for one key ("account:<hmac>" or "address:<ip>"), since `window_start`.'},
        ),
        ops.AddField(
            model_name='LoginThrottle',
            name='blocked_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Session',
            name='device_id',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Session',
            name='trusted_device',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='User',
            name='sign_in_send_window_start',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='User',
            name='sign_in_sends_in_window',
            field=fields.IntField(default=0, db_default=0),
        ),
    ]
