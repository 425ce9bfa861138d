"""Ecocito's paths, as its clients write them: at the platform's root (every account of
the login) and under /<slug>/ (that authority's accounts), the second named `…_authority`."""

from django.urls import path

from levee.lib.middleware import answers_bad_characters

from . import views

app_name = "ecocito"

_PATHS = [
    ("Usager/Profil/Connexion", views.login, "login"),
    ("Usager/Profil/Deconnexion", views.logout, "logout"),
    ("Usager/Collecte", views.collecte, "collecte"),
    ("Usager/Collecte/GetCollecte", views.get_collecte, "get_collecte"),
    ("Usager/Apport/GetApport", views.get_apport, "get_apport"),
    ("Usager/Json/ObtenirStatistiqueLeveesMensuel", views.lift_statistics, "lift_statistics"),
    (
        "Usager/Json/ObtenirStatistiqueApportPAVMensuel",
        views.dropoff_statistics,
        "dropoff_statistics",
    ),
]

# Those whose clients read JSON: a NUL in their query string is answered in JSON too.
for json_view in (
    views.get_collecte,
    views.get_apport,
    views.lift_statistics,
    views.dropoff_statistics,
):
    answers_bad_characters(views.nul_refused)(json_view)

urlpatterns = [path(route, view, name=name) for route, view, name in _PATHS] + [
    path(f"<slug:slug>/{route}", view, name=f"{name}_authority") for route, view, name in _PATHS
]
