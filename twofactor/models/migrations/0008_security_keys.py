"""security_keys: the WebAuthn credential of a SECURITY_KEY authenticator; webauthn_challenges: the
single-use challenges of a set-up or a session; the method columns fit SECURITY_KEY; the policy
gets security_key_enabled (off: an administrator turns it on once the origins are set)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from twofactor.models.two_factor import Method
from tortoise import fields

class WidenOnPostgres(ops.AlterField):
    """A longer VARCHAR, for SECURITY_KEY. Only PostgreSQL enforces the length: SQLite would rebuild
    the table for it, and the rebuilt table lost its triggers (0004) and indexes."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor is None or state_editor.client.capabilities.dialect == "sqlite":
            return
        await super().database_forward(app_label, old_state, new_state, state_editor)

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor is None or state_editor.client.capabilities.dialect == "sqlite":
            return
        await super().database_backward(app_label, old_state, new_state, state_editor)


class Migration(migrations.Migration):
    dependencies = [('twofactor', '0007_audited_waits')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SecurityKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('authenticator', fields.OneToOneField('twofactor.Authenticator', source_field='authenticator_id', db_constraint=True, to_field='id', related_name='security_key', on_delete=OnDelete.CASCADE)),
                ('credential_id', fields.CharField(unique=True, max_length=1400)),
                ('public_key', fields.TextField(unique=False)),
                ('sign_count', fields.BigIntField(default=0)),
                ('user_handle', fields.CharField(max_length=128)),
                ('aaguid', fields.CharField(null=True, max_length=36)),
                ('backup_eligible', fields.BooleanField(default=False)),
                ('backup_state', fields.BooleanField(default=False)),
                ('transports', fields.CharField(default='', max_length=200)),
                ('suspended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'security_keys', 'app': 'twofactor', 'pk_attr': 'id', 'table_description': 'The public key credential of one SECURITY_KEY authenticator.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebAuthnChallenge',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user_id', fields.IntField()),
                ('setup', fields.OneToOneField('twofactor.Setup', source_field='setup_id', null=True, db_constraint=True, to_field='id', related_name='webauthn_challenge', on_delete=OnDelete.CASCADE)),
                ('session', fields.OneToOneField('twofactor.Session', source_field='session_id', null=True, db_constraint=True, to_field='id', related_name='webauthn_challenge', on_delete=OnDelete.CASCADE)),
                ('challenge', fields.CharField(max_length=128)),
                ('options', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webauthn_challenges', 'app': 'twofactor', 'pk_attr': 'id', 'table_description': 'A challenge handed to a browser, for one set-up or one session, used at most once.'},
            bases=['Model'],
        ),
        WidenOnPostgres(
            model_name='Authenticator',
            name='method',
            field=fields.CharEnumField(description='EMAIL: EMAIL\nAPP: APP\nSECURITY_KEY: SECURITY_KEY', enum_type=Method, max_length=16),
        ),
        ops.AddField(
            model_name='Policy',
            name='security_key_enabled',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        WidenOnPostgres(
            model_name='Setup',
            name='method',
            field=fields.CharEnumField(description='EMAIL: EMAIL\nAPP: APP\nSECURITY_KEY: SECURITY_KEY', enum_type=Method, max_length=16),
        ),
    ]
