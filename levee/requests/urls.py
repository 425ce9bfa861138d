"""Demandes' URLs: the agents' pages (under backoffice/), the resident's pages in his space,
and the link that confirms a new email — all before the authorities' /<slug>/… catch-alls."""

from django.urls import path

from . import views, views_backoffice

app_name = "requests"
urlpatterns = [
    # Back office (agent_required): only the agent's authority.
    path("backoffice/demandes/", views_backoffice.queue, name="bo_queue"),
    path("backoffice/demandes/<int:pk>/", views_backoffice.detail, name="bo_detail"),
    path("backoffice/demandes/<int:pk>/accepter/", views_backoffice.accept, name="bo_accept"),
    path("backoffice/demandes/<int:pk>/refuser/", views_backoffice.refuse, name="bo_refuse"),
    path(
        "backoffice/demandes/<int:pk>/complement/",
        views_backoffice.complement,
        name="bo_complement",
    ),
    path(
        "backoffice/demandes/<int:pk>/pieces-jointes/<int:message_pk>/",
        views_backoffice.attachment,
        name="bo_attachment",
    ),
    # The resident's space (login).
    path("<slug:slug>/espace/mes-services/", views.services_list, name="services"),
    path(
        "<slug:slug>/espace/mes-services/<slug:kind_slug>/",
        views.request_form,
        name="request_form",
    ),
    path("<slug:slug>/espace/suivi-de-mes-demandes/", views.tracking, name="tracking"),
    path(
        "<slug:slug>/espace/suivi-de-mes-demandes/<int:pk>/",
        views.request_detail,
        name="detail",
    ),
    path(
        "<slug:slug>/espace/suivi-de-mes-demandes/<int:pk>/repondre/",
        views.request_answer,
        name="answer",
    ),
    path(
        "<slug:slug>/espace/suivi-de-mes-demandes/<int:pk>/nouveau-lien/",
        views.email_link_resend,
        name="email_link_resend",
    ),
    path(
        "<slug:slug>/espace/suivi-de-mes-demandes/<int:pk>/pieces-jointes/<int:message_pk>/",
        views.request_attachment,
        name="attachment",
    ),
    # The link mailed to a new email (no login: the signature is the proof).
    path("<slug:slug>/confirmer-mon-email/<str:token>/", views.email_confirm, name="email_confirm"),
]
