# The agents move from the back office to a domain app of their own: only Django's state
# changes, the table (backoffice_agent), its rows and constraints stay where they are.

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
                    name='Agent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('role', models.CharField(choices=[('accueil', 'Accueil'), ('facturation', 'Facturation'), ('administrateur', 'Administrateur'), ('consultation', 'Consultation')], default='accueil', max_length=20, verbose_name='rôle')),
                        ('is_active', models.BooleanField(default=True, verbose_name='actif')),
                        ('authority', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='agents', to='authorities.authority')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='agent_roles', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'agent',
                        'db_table': 'backoffice_agent',
                        'constraints': [
                            models.UniqueConstraint(fields=('authority', 'user'), name='unique_agent'),
                            models.CheckConstraint(condition=models.Q(('role__in', ['accueil', 'facturation', 'administrateur', 'consultation'])), name='agent_role_known'),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
