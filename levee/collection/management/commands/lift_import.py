"""Imports a CSV file of lifts (format: levee/collection/IMPORT_FORMAT.md) for one authority.

    manage.py lift_import --authority flandre-interieure levees-2024-03.csv

Prints the counts; the rejected lines go to <FILE>.rejets.csv (« ligne;motif »).
"""

from levee.collection.importers import lift_import
from levee.collection.importers.command import ImportCommand


class Command(ImportCommand):
    help = "Importe un fichier CSV de levées pour une collectivité."
    what = "des levées"
    imported = "levées importées"
    import_function = staticmethod(lift_import)
