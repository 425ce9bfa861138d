"""Imports a CSV file of accounts, subscriptions and bins from an authority's billing
software (format: levee/collection/IMPORT_FORMAT.md, « Import des abonnés »).

    manage.py subscriber_import --authority flandre-interieure abonnes.csv

Prints the counts; the rejected lines go to <FILE>.rejets.csv (« ligne;motif »).
"""

from levee.collection.importers.command import ImportCommand
from levee.subscribers.importers import subscriber_import


class Command(ImportCommand):
    help = "Importe un fichier CSV d'abonnés (comptes, abonnements, bacs) pour une collectivité."
    what = "des abonnés"
    imported = "lignes importées (créations ou modifications)"
    already = "sans changement"
    import_function = staticmethod(subscriber_import)
