from django.apps import AppConfig


class CollectionConfig(AppConfig):
    name = "levee.collection"
    verbose_name = "Bacs, levées et apports"
    label = "collection"
    default_auto_field = "django.db.models.BigAutoField"

    def periodic_jobs(self):
        from levee.lib.periodic import Job

        from .averages import production_averages_refresh_due

        return [
            Job(
                "production averages",
                lambda: f"{production_averages_refresh_due()} authority(ies) refreshed",
            )
        ]

    def ready(self):
        from .importers import dropoffs, lifts
        from .importers.batches import importer_register
        from .models import ImportKind

        importer_register(ImportKind.LIFTS, lifts.IMPORTER)
        importer_register(ImportKind.DROPOFFS, dropoffs.IMPORTER)
