from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('twofactor', '0002_indexes')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='OutboxMessage',
            index=Index(fields=['status', 'next_attempt_at']),
        ),
        ops.AddIndex(
            model_name='OutboxMessage',
            index=Index(fields=['setup_id']),
        ),
        ops.AddIndex(
            model_name='Session',
            index=Index(fields=['user_id', 'state']),
        ),
        ops.AddIndex(
            model_name='Setup',
            index=Index(fields=['status', 'expires_at']),
        ),
        ops.AddIndex(
            model_name='Setup',
            index=Index(fields=['user_id']),
        ),
    ]
