"""audited_waits: which wait's refusals were last audited, so a wait gets one audit row, not one per attempt."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('twofactor', '0006_known_devices')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditedWait',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=120)),
                ('until', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                'table': 'audited_waits',
                'app': 'twofactor',
                'pk_attr': 'key',
                'table_description': 'The last wait of a key (e.g. "verify:user:7") whose refusals were audited, named by its end.',
            },
            bases=['Model'],
        ),
    ]
