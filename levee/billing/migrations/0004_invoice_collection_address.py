from django.db import migrations, models


def collection_address_fill(apps, schema_editor):
    """Invoices issued before the field existed: the subscription's address of today is the
    best known of the day of issue."""
    Invoice = apps.get_model("billing", "Invoice")
    for invoice in (
        Invoice.objects.filter(collection_address="", subscription__isnull=False)
        .select_related("subscription__commune")
        .iterator(chunk_size=1000)
    ):
        s = invoice.subscription
        number = " ".join(p for p in (s.number, s.number_suffix) if p)
        street = " ".join(p for p in (number, s.street) if p)
        parts = [street, s.complement, f"{s.postal_code} {s.commune.name}"]
        Invoice.objects.filter(pk=invoice.pk).update(
            collection_address=" ".join(p for p in parts if p)[:400]
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_invoice_run_index")]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="collection_address",
            field=models.CharField(blank=True, max_length=400, verbose_name="adresse de collecte"),
        ),
        migrations.RunPython(collection_address_fill, migrations.RunPython.noop),
    ]
