from django import forms
from django.conf import settings

from levee.collection.importers.reading import megabytes, upload_binary_reason
from levee.collection.models import ImportKind
from levee.lib.forms import Form


class ImportUploadForm(Form):
    kind = forms.ChoiceField(
        label="Type de fichier",
        choices=ImportKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez le type du fichier : levées, apports ou abonnés."},
    )
    file = forms.FileField(
        label="Fichier CSV",
        error_messages={
            "required": "Choisissez le fichier CSV à importer.",
            "empty": "Le fichier envoyé est vide : rien n'a été importé.",
        },
    )

    def __init__(self, *args, oversize: int | None = None, **kwargs):
        """`oversize`: the size of an upload refused from its Content-Length, before its
        body was read; the form then only says so, next to the file field."""
        if oversize is not None:
            args, kwargs = ({},), {"files": {}}
        super().__init__(*args, **kwargs)
        self.oversize = oversize
        limit = megabytes(settings.IMPORT_MAX_BYTES)
        self.fields[
            "file"
        ].help_text = (
            f"CSV (séparateur « ; » ou « , »), encodé en UTF-8 ou Windows/Latin-1, {limit} au plus."
        )
        self.fields["file"].widget.attrs.update(
            {"accept": ".csv,.txt,text/csv", "data-max-bytes": settings.IMPORT_MAX_BYTES}
        )
        if oversize is not None:
            self.fields["kind"].required = False
            self.fields["file"].required = False

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        size = self.oversize if self.oversize is not None else getattr(upload, "size", 0)
        if size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                f"Le fichier est trop volumineux ({megabytes(size)}) : "
                f"{megabytes(settings.IMPORT_MAX_BYTES)} au plus. Rien n'a été importé.",
                code="too_large",
            )
        reason = upload_binary_reason(upload) if upload else None
        if reason:
            # A PDF or a spreadsheet sent by mistake: said here, before anything is stored.
            raise forms.ValidationError(reason, code="binary")
        return upload
