# The audit log moves from the back office to an app of its own: only Django's state
# changes, the table (backoffice_auditentry) and its rows stay where they are.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('authorities', '0001_initial'),
        ('backoffice', '0003_agent_role'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AuditEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('action', models.CharField(max_length=60)),
                        ('object_type', models.CharField(max_length=60)),
                        ('object_id', models.CharField(max_length=40)),
                        ('before', models.JSONField(blank=True, default=dict)),
                        ('after', models.JSONField(blank=True, default=dict)),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('actor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('authority', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='authorities.authority')),
                    ],
                    options={
                        'verbose_name': 'entrée du journal',
                        'verbose_name_plural': 'journal des actions',
                        'ordering': ['-created_at'],
                        'db_table': 'backoffice_auditentry',
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
