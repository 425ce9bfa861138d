from django.urls import path

from . import views

app_name = "payments"
# « Régler », the gateways' notifications and return pages, the sandbox gateway's screens.
urlpatterns = [
    path("<slug:slug>/espace/mes-factures/<int:invoice_pk>/regler/", views.pay, name="pay"),
    path(
        "<slug:slug>/espace/mes-factures/<int:invoice_pk>/abandonner/",
        views.abandon,
        name="abandon",
    ),
    path(
        "<slug:slug>/espace/mes-factures/paiement/<int:payment_pk>/",
        views.result,
        name="result",
    ),
    path("paiement/notification/", views.notify, name="notify"),
    path("paiement/retour/<slug:slug>/<int:payment_pk>/", views.return_, name="return"),
    path("paiement-test/<str:idop>/", views.sandbox_debt, name="sandbox_debt"),
    path("paiement-test/<str:idop>/carte/", views.sandbox_card, name="sandbox_card"),
    path("paiement-test/<str:idop>/prelevement/", views.sandbox_debit, name="sandbox_debit"),
]
