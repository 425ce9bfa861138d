from django.urls import path

from . import views

app_name = "tokens"
urlpatterns = [
    path("<slug:slug>/espace/mon-profil/jetons/nouveau/", views.create, name="create"),
    path(
        "<slug:slug>/espace/mon-profil/jetons/<int:pk>/revoquer/",
        views.revoke,
        name="revoke",
    ),
]
