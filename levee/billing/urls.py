from django.urls import path

from . import views, views_alerts, views_credit_notes

app_name = "billing"
# The resident's « Mes factures » and its duplicatas.
urlpatterns = [
    path("<slug:slug>/espace/mes-factures/", views.invoices, name="invoices"),
    path(
        "<slug:slug>/espace/mes-factures/<int:pk>/duplicata.pdf",
        views.duplicata,
        name="duplicata",
    ),
    path(
        "<slug:slug>/espace/mes-factures/avoirs/<int:pk>/avoir.pdf",
        views_credit_notes.credit_note_pdf,
        name="credit_note_pdf",
    ),
    path(
        "<slug:slug>/alertes-consommation/<str:token>/",
        views_alerts.usage_alert_unsubscribe,
        name="usage_alert_unsubscribe",
    ),
]
