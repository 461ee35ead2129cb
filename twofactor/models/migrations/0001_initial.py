from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from twofactor.models.outbox import OutboxStatus
from twofactor.models.two_factor import Method, SetupStatus
from twofactor.models.users import SessionState
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('action', fields.CharField(db_index=True, max_length=64)),
                ('actor_id', fields.IntField(null=True)),
                ('target_id', fields.IntField(null=True, db_index=True)),
                ('ip', fields.CharField(null=True, max_length=64)),
                ('user_agent', fields.CharField(null=True, max_length=300)),
                ('details', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'audit_events', 'app': 'twofactor', 'pk_attr': 'id', 'table_description': 'Who did what to whom, from where, when.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LoginThrottle',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=100)),
                ('window_start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('failures', fields.IntField(default=0)),
            ],
            options={'table': 'login_throttles', 'app': 'twofactor', 'pk_attr': 'key', 'table_description': 'Failed passwords for one key ("account:<hash>" or "address:<ip>") in a window.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxMessage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('kind', fields.CharField(max_length=32)),
                ('recipient', fields.CharField(max_length=254)),
                ('subject', fields.CharField(max_length=200)),
                ('body_encrypted', fields.TextField(unique=False)),
                ('status', fields.CharEnumField(default=OutboxStatus.PENDING, description='PENDING: PENDING\nSENT: SENT\nFAILED: FAILED', enum_type=OutboxStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('deliver_before', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('claimed_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('claimed_by', fields.CharField(null=True, max_length=64)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(null=True, max_length=300)),
                ('setup_id', fields.UUIDField(null=True)),
                ('user_id', fields.IntField(null=True)),
            ],
            options={'table': 'outbox', 'app': 'twofactor', 'pk_attr': 'id', 'table_description': 'One message to send. Its body is encrypted: it may carry a code.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Policy',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('mandatory', fields.BooleanField(default=False)),
                ('email_enabled', fields.BooleanField(default=True)),
                ('app_enabled', fields.BooleanField(default=True)),
                ('recovery_codes_enabled', fields.BooleanField(default=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'policy', 'app': 'twofactor', 'pk_attr': 'id', 'table_description': 'Mandatory or not, which methods, recovery codes on or off.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, max_length=254)),
                ('name', fields.CharField(max_length=200)),
                ('is_admin', fields.BooleanField(default=False)),
                ('password_hash', fields.CharField(max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('failed_verifications', fields.IntField(default=0)),
                ('verification_blocked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_code_sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('send_window_start', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sends_in_window', fields.IntField(default=0)),
            ],
            options={'table': 'users', 'app': 'twofactor', 'pk_attr': 'id', 'table_description': 'Someone who signs in. Failure counters live here so every process sees them.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Authenticator',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('twofactor.User', source_field='user_id', db_constraint=True, to_field='id', related_name='authenticators', on_delete=OnDelete.CASCADE)),
                ('method', fields.CharEnumField(description='EMAIL: EMAIL\nAPP: APP', enum_type=Method, max_length=8)),
                ('name', fields.CharField(max_length=64)),
                ('name_key', fields.CharField(max_length=256)),
                ('email', fields.CharField(null=True, max_length=254)),
                ('secret_encrypted', fields.TextField(null=True, unique=False)),
                ('last_step', fields.BigIntField(default=-1)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'authenticators', 'app': 'twofactor', 'unique_together': (('user', 'name_key'),), 'pk_attr': 'id', 'table_description': 'One second factor of a user, of either method, with the same lifecycle.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RecoveryCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('twofactor.User', source_field='user_id', db_constraint=True, to_field='id', related_name='recovery_codes', on_delete=OnDelete.CASCADE)),
                ('code_digest', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'recovery_codes', 'app': 'twofactor', 'pk_attr': 'id', 'table_description': 'One single-use recovery code, stored as an HMAC digest.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Session',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('user', fields.ForeignKeyField('twofactor.User', source_field='user_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('state', fields.CharEnumField(description='CHALLENGE: challenge\nSETUP: setup\nDONE: done', enum_type=SessionState, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('second_factor_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('failed_attempts', fields.IntField(default=0)),
                ('ip', fields.CharField(null=True, max_length=64)),
                ('user_agent', fields.CharField(null=True, max_length=300)),
            ],
            options={'table': 'sessions', 'app': 'twofactor', 'pk_attr': 'id', 'table_description': 'A sign-in. The token itself is never stored, only its SHA-256.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EmailChallenge',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('session', fields.ForeignKeyField('twofactor.Session', source_field='session_id', db_constraint=True, to_field='id', related_name='email_challenges', on_delete=OnDelete.CASCADE)),
                ('authenticator', fields.ForeignKeyField('twofactor.Authenticator', source_field='authenticator_id', db_constraint=True, to_field='id', related_name='challenges', on_delete=OnDelete.CASCADE)),
                ('code_digest', fields.CharField(max_length=64)),
                ('failed_attempts', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'email_challenges', 'app': 'twofactor', 'unique_together': (('session', 'authenticator'),), 'pk_attr': 'id', 'table_description': 'An email code for one session and one EMAIL authenticator (sign-in or removal).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Setup',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('twofactor.User', source_field='user_id', db_constraint=True, to_field='id', related_name='setups', on_delete=OnDelete.CASCADE)),
                ('method', fields.CharEnumField(description='EMAIL: EMAIL\nAPP: APP', enum_type=Method, max_length=8)),
                ('status', fields.CharEnumField(default=SetupStatus.PENDING, description='PENDING: PENDING\nCODE_SENT: CODE_SENT\nDELIVERY_FAILED: DELIVERY_FAILED\nVERIFIED: VERIFIED\nEXPIRED: EXPIRED\nLOCKED: LOCKED\nCANCELLED: CANCELLED', enum_type=SetupStatus, max_length=16)),
                ('name', fields.CharField(null=True, max_length=64)),
                ('email', fields.CharField(null=True, max_length=254)),
                ('secret_encrypted', fields.TextField(null=True, unique=False)),
                ('code_digest', fields.CharField(null=True, max_length=64)),
                ('failed_attempts', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('resend_available_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=0)),
            ],
            options={'table': 'setups', 'app': 'twofactor', 'pk_attr': 'id', 'table_description': "A set-up in progress, from 'Set up ...' until 'Submit Code and Create'."},
            bases=['Model'],
        ),
    ]
