"""The rôle files written before `PesFile.piece_invoices` existed: which invoice each piece
carried, read back from the kept file (its NumDette, in the order of its pieces), so an
avoir on one of their invoices can name its title."""

from django.db import migrations


def backfill(apps, schema_editor):
    from lxml import etree

    from levee.lib.storage import private_storage

    PesFile = apps.get_model("treasury", "PesFile")
    Invoice = apps.get_model("billing", "Invoice")
    for pes_file in PesFile.objects.filter(kind="role", piece_invoices="").exclude(file=""):
        if not private_storage.exists(pes_file.file.name):
            continue
        numbers = []
        with private_storage.open(pes_file.file.name, "rb") as handle:
            for _event, element in etree.iterparse(
                handle, events=("end",), tag="NumDette", resolve_entities=False, huge_tree=True
            ):
                numbers.append(element.get("V", ""))
                element.clear(keep_tail=True)
        ids = dict(
            Invoice.objects.filter(
                authority_id=pes_file.authority_id, run_id=pes_file.run_id, number__in=numbers
            ).values_list("number", "pk")
        )
        if not numbers or any(n not in ids for n in numbers):
            continue
        previous, gaps = 0, []
        for number in numbers:
            gaps.append(str(ids[number] - previous))
            previous = ids[number]
        pes_file.piece_invoices = ",".join(gaps)
        pes_file.save(update_fields=["piece_invoices"])


class Migration(migrations.Migration):
    dependencies = [("treasury", "0005_credit_files")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
