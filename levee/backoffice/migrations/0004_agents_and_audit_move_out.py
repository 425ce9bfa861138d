# Agent moved to levee.agents and AuditEntry to levee.audit (their tables stay): the back
# office forgets them in Django's state only.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('backoffice', '0003_agent_role'),
        ('agents', '0001_initial'),
        ('audit', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='Agent'),
                migrations.DeleteModel(name='AuditEntry'),
            ],
            database_operations=[],
        ),
    ]
