from django import forms

from levee.lib.forms import Form


class DataChoicesForm(Form):
    objects_to_other_uses = forms.BooleanField(
        label=(
            "Droit à l'opposition : je m'oppose à l'utilisation de mes données dans un autre cadre "
            "que celui de la gestion des déchets."
        ),
        required=False,
    )
    refuses_automated_erasure = forms.BooleanField(
        label=(
            "Droit de rétraction : je ne souhaite pas que mes données soient effacées ou anonymisées "
            "par un traitement automatisé."
        ),
        required=False,
    )
