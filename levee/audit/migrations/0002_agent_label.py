# The audit rows name their object by model label: the agents' rows written before the
# move ("backoffice.Agent") now name it as the model is known ("agents.Agent"), so that an
# agent's history reads as one. The content types follow, so the operator's admin history
# (django.contrib.admin's log) keeps pointing at the same models.

from django.db import migrations

MOVED = {"agent": "agents", "auditentry": "audit"}


def forwards(apps, schema_editor):
    AuditEntry = apps.get_model("audit", "AuditEntry")
    AuditEntry.objects.filter(object_type="backoffice.Agent").update(object_type="agents.Agent")
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model, app_label in MOVED.items():
        if not ContentType.objects.filter(app_label=app_label, model=model).exists():
            ContentType.objects.filter(app_label="backoffice", model=model).update(
                app_label=app_label
            )


def backwards(apps, schema_editor):
    AuditEntry = apps.get_model("audit", "AuditEntry")
    AuditEntry.objects.filter(object_type="agents.Agent").update(object_type="backoffice.Agent")
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model, app_label in MOVED.items():
        if not ContentType.objects.filter(app_label="backoffice", model=model).exists():
            ContentType.objects.filter(app_label=app_label, model=model).update(
                app_label="backoffice"
            )


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0001_initial"),
        ("agents", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
