"""Imports a CSV file of drop-offs, badge openings and déchèterie visits (format:
levee/collection/IMPORT_FORMAT.md) for one authority.

    manage.py dropoff_import --authority flandre-interieure apports-2024-03.csv

Prints the counts; the rejected lines go to <FILE>.rejets.csv (« ligne;motif »).
"""

from levee.collection.importers import dropoff_import
from levee.collection.importers.command import ImportCommand


class Command(ImportCommand):
    help = "Importe un fichier CSV d'apports (badges, déchèteries) pour une collectivité."
    what = "des apports"
    imported = "apports importés"
    import_function = staticmethod(dropoff_import)
