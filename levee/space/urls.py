from django.urls import path

from . import views

app_name = "space"
urlpatterns = [
    path("espace/", views.no_account, name="no_account"),
    path("espace/changer-de-compte/", views.switch_account, name="switch_account"),
    path("<slug:slug>/espace/", views.home, name="home"),
    path("<slug:slug>/espace/mes-informations/", views.informations, name="informations"),
    path("<slug:slug>/espace/mon-profil/", views.profile, name="profile"),
]
