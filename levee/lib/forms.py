"""Form plumbing shared by every app: errors tied to their field for screen readers."""

from django import forms


class AccessibleFormMixin:
    """Adds aria-invalid and aria-describedby (help + error ids) to every widget with an
    error, so assistive technologies read the message next to the field (RGAA 11.10)."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name not in self.fields:
                continue
            bound = self[name]
            attrs = self.fields[name].widget.attrs
            attrs["aria-invalid"] = "true"
            described = [f"{bound.auto_id}_error"]
            if self.fields[name].help_text:
                described.insert(0, f"{bound.auto_id}_helptext")
            attrs["aria-describedby"] = " ".join(described)


class Form(AccessibleFormMixin, forms.Form):
    pass


class ModelForm(AccessibleFormMixin, forms.ModelForm):
    pass
