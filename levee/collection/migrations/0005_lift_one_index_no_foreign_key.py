# Lifts keep one index, the unique (authority, bin, lifted_at), and no database foreign
# key: the lift import's cost was the table's indexes and row-by-row checks (see
# bench/RESULTS.md, « Lift import »). The new constraint is built before the old index and
# constraint go, so reads always have an index.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('authorities', '0001_initial'),
        ('collection', '0004_import_batch_progress'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='lift',
            constraint=models.UniqueConstraint(fields=('authority', 'bin', 'lifted_at'), name='one_lift_per_authority_bin_time'),
        ),
        migrations.RemoveConstraint(
            model_name='lift',
            name='one_lift_per_bin_and_time',
        ),
        migrations.RemoveIndex(
            model_name='lift',
            name='lift_authority_bin_time',
        ),
        migrations.AlterField(
            model_name='lift',
            name='bin',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='lifts', to='collection.bin'),
        ),
        migrations.AlterField(
            model_name='lift',
            name='import_batch',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='lifts', to='collection.importbatch'),
        ),
    ]
