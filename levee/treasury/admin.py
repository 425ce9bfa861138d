from django.contrib import admin

from levee.lib.admin import RecordAdmin
from levee.treasury.models import PesFile, PesGeneration, PublicAccountingSettings


@admin.register(PublicAccountingSettings)
class PublicAccountingSettingsAdmin(RecordAdmin):
    """The authority's agents set these in « Comptabilité publique » (checked and audited
    there); the operator reads them."""

    list_display = ["authority", "collection_mode", "siret", "poste_code", "attach_pdfs"]
    list_filter = ["collection_mode"]


@admin.register(PesFile)
class PesFileAdmin(RecordAdmin):
    list_display = [
        "name",
        "authority",
        "kind",
        "year",
        "bordereau",
        "status",
        "pieces",
        "generated_at",
    ]
    list_filter = ["authority", "kind", "status", "year"]
    search_fields = ["name"]


@admin.register(PesGeneration)
class PesGenerationAdmin(RecordAdmin):
    list_display = ["run", "authority", "status", "pieces_done", "pieces_total", "requested_at"]
    list_filter = ["authority", "status"]
