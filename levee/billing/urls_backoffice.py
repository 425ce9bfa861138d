from django.urls import path

from levee.payments import views_collections

from . import views_backoffice as views
from . import views_credit_notes, views_dunning

app_name = "billing_bo"
# Tariffs, billing runs and treasury exports, under /backoffice/facturation/.
urlpatterns = [
    path("", views.runs, name="runs"),
    path("nouvelle/", views.run_create, name="run_create"),
    path("<int:pk>/", views.run_detail, name="run_detail"),
    path("<int:pk>/progression/", views.run_progress, name="run_progress"),
    path("<int:pk>/reprendre/", views.run_resume, name="run_resume"),
    path("<int:pk>/factures.csv", views.run_invoices_csv, name="run_invoices_csv"),
    path("factures/<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("factures/<int:pk>/reglement/", views.payment_record, name="payment_record"),
    path(
        "factures/<int:pk>/avoir/", views_credit_notes.credit_note_create, name="credit_note_create"
    ),
    path(
        "avoirs/<int:pk>/avoir.pdf",
        views_credit_notes.credit_note_pdf_agent,
        name="credit_note_pdf",
    ),
    path(
        "avoirs/<int:pk>/rembourse/",
        views_credit_notes.credit_note_refund_done,
        name="credit_note_refund_done",
    ),
    path("tarifs/", views.tariffs, name="tariffs"),
    path("tarifs/nouvelle-grille/", views.tariff_create, name="tariff_create"),
    path("tarifs/<int:pk>/", views.tariff_detail, name="tariff_detail"),
    path("tarifs/<int:pk>/modifier/", views.tariff_edit, name="tariff_edit"),
    path("reglages/", views.billing_settings, name="settings"),
    path("reglages/numerotation/", views.sequence_start, name="sequence_start"),
    path("reglements/", views.payments, name="payments"),
    path("reglements/export.csv", views.payments_csv, name="payments_csv"),
    path("reglements/a-verifier/", views.payments_to_check, name="payments_to_check"),
    path("reglements/encaissements/", views_collections.collections, name="collections"),
    path(
        "reglements/encaissements/<int:pk>/",
        views_collections.collection_import,
        name="collection_import",
    ),
    path("reglements/<int:pk>/verifie/", views.payment_review, name="payment_review"),
    path("restes-a-recouvrer/", views_dunning.outstanding, name="outstanding"),
    path("restes-a-recouvrer/export.csv", views_dunning.outstanding_csv, name="outstanding_csv"),
]
