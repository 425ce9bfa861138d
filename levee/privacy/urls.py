from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path("<slug:slug>/espace/mon-profil/mes-donnees.json", views.data_json, name="data_json"),
    path("<slug:slug>/espace/mon-profil/mes-donnees.csv", views.data_csv, name="data_csv"),
    path(
        "<slug:slug>/espace/mon-profil/supprimer-mon-identifiant/",
        views.login_delete,
        name="login_delete",
    ),
]
