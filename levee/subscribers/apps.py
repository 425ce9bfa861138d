from django.apps import AppConfig


class SubscribersConfig(AppConfig):
    name = "levee.subscribers"
    verbose_name = "Usagers et abonnements"
    label = "subscribers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from levee.collection.importers.batches import importer_register
        from levee.collection.models import ImportKind

        from . import importers

        importer_register(ImportKind.SUBSCRIBERS, importers.IMPORTER)
