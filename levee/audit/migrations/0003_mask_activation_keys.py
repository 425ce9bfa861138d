# The regeneration of a clé d'activation wrote the old and the new key in its audit row, so
# anyone reading the log could associate the account: the keys already written are masked,
# as the service now writes them. There is no way back (the keys are not kept anywhere else,
# and the current one is on the account).

from django.db import migrations

MASKED = "(masquée)"


def forwards(apps, schema_editor):
    AuditEntry = apps.get_model("audit", "AuditEntry")
    entries = AuditEntry.objects.filter(action="account.key_regenerate").only("before", "after")
    masked = []
    for entry in entries.iterator():
        for values in (entry.before, entry.after):
            if isinstance(values, dict) and "portal_key" in values:
                values["portal_key"] = MASKED
        masked.append(entry)
    AuditEntry.objects.bulk_update(masked, ["before", "after"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_agent_label")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
