from django.urls import path

from . import views, views_association

app_name = "accounts"
urlpatterns = [
    path("connexion/", views.login, name="login_platform"),
    path("deconnexion/", views.logout, name="logout_platform"),
    path("<slug:slug>/connexion/", views.login, name="login"),
    path("<slug:slug>/deconnexion/", views.logout, name="logout"),
    path("<slug:slug>/creer-mon-espace/", views.signup, name="signup"),
    path("<slug:slug>/creer-mon-espace/envoye/", views.signup_done, name="signup_done"),
    path("<slug:slug>/activation/<str:uidb64>/<str:token>/", views.activate, name="activate"),
    path("<slug:slug>/activation/renvoyer/", views.activation_resend, name="activation_resend"),
    path("<slug:slug>/mot-de-passe-oublie/", views.password_reset, name="password_reset"),
    path(
        "<slug:slug>/mot-de-passe-oublie/<str:uidb64>/<str:token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("<slug:slug>/espace/mot-de-passe/", views.password_change, name="password_change"),
    path(
        "<slug:slug>/espace/associer/",
        views_association.associate_commune,
        name="associate_commune",
    ),
    path("<slug:slug>/espace/associer/cle/", views_association.associate_key, name="associate_key"),
    path(
        "<slug:slug>/espace/associer/compte/",
        views_association.associate_confirm,
        name="associate_confirm",
    ),
    path(
        "<slug:slug>/espace/associer/annuler/",
        views_association.associate_cancel,
        name="associate_cancel",
    ),
    path(
        "<slug:slug>/espace/dissocier/<int:account_pk>/",
        views_association.dissociate,
        name="dissociate",
    ),
    path("<slug:slug>/ouvrir-un-compte/", views.opening_start, name="opening_start"),
    path(
        "<slug:slug>/ouvrir-un-compte/envoyee/", views.opening_submitted, name="opening_submitted"
    ),
    path(
        "<slug:slug>/ouvrir-un-compte/confirmer/<str:token>/",
        views.opening_confirm,
        name="opening_confirm",
    ),
    path(
        "<slug:slug>/ouvrir-un-compte/<str:insee>/<str:postal_code>/",
        views.opening_form,
        name="opening_form",
    ),
]
