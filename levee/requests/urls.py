"""Demandes' URLs: the agents' pages (under backoffice/), the resident's pages in his space,
the link that confirms a new email and the pages of « J'emménage » — all before the
authorities' /<slug>/… catch-alls."""

from django.urls import path

from . import views, views_backoffice, views_move_in

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
    # « Vous ne connaissez pas votre clé d'activation ? », from « Associer un autre compte ».
    path(
        "<slug:slug>/espace/associer/cle-d-activation/",
        views.key_request,
        name="key_request",
    ),
    # The emails' link to a request the login made without an account.
    path("espace/mes-demandes/<int:pk>/", views.mine, name="mine"),
    # « J'emménage »: no login; the confirmation and follow links are signed.
    path("<slug:slug>/j-emmenage/", views_move_in.move_in, name="move_in"),
    path(
        "<slug:slug>/j-emmenage/envoyee/",
        views_move_in.move_in_submitted,
        name="move_in_submitted",
    ),
    path(
        "<slug:slug>/j-emmenage/confirmer/<str:token>/",
        views_move_in.move_in_confirm,
        name="move_in_confirm",
    ),
    path(
        "<slug:slug>/j-emmenage/ma-demande/<str:token>/",
        views_move_in.move_in_follow,
        name="move_in_follow",
    ),
    path(
        "<slug:slug>/j-emmenage/ma-demande/<str:token>/repondre/",
        views_move_in.move_in_answer,
        name="move_in_answer",
    ),
    path(
        "<slug:slug>/j-emmenage/ma-demande/<str:token>/pieces-jointes/<int:message_pk>/",
        views_move_in.move_in_attachment,
        name="move_in_attachment",
    ),
]
