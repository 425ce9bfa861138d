"""Reads of levee.privacy: « Dernières connexions » and « Télécharger mes données »."""

import datetime
from collections import defaultdict

from django.conf import settings
from django.utils import timezone

from levee.accounts.models import AccountOpeningRequest
from levee.accounts.selectors import accesses_for_user
from levee.agents.models import Agent
from levee.billing.models import CreditNote, InvoiceReminder, UsageAlert, UsageAlertOptOut
from levee.billing.space import invoices_for_account
from levee.calendars.models import CollectionReminder
from levee.collection.selectors import bins_for_account, dropoffs_for_account, lifts_for_account
from levee.payments.models import Mandate, Payment, PaymentReceipt
from levee.requests.models import RequestMessage, ServiceRequest
from levee.requests.selectors import requests_of_account
from levee.subscribers.models import Subscription
from levee.tokens.models import PersonalAccessToken

from .models import Connection

LAST_CONNECTIONS = 10


def login_erasable(user) -> bool:
    """« Supprimer mon identifiant » is open to this login: it is no agent's (an
    administrator removes it from the agents first) nor the platform's operator's."""
    return not (
        user.is_staff
        or user.is_superuser
        or Agent.objects.filter(user=user, is_active=True).exists()
    )


def connections_last(user, *, limit: int = LAST_CONNECTIONS) -> list[Connection]:
    """« Dernières connexions »: the login's latest successful logins, newest first."""
    return list(Connection.objects.filter(user=user).order_by("-logged_in_at", "-pk")[:limit])


def _when(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    return value.isoformat()


def personal_data_of(user) -> dict:
    """« Télécharger mes données »: everything held on the login and on the accounts it
    reaches, as plain values (the IBAN masked, as everywhere). Nothing of another login but
    what the accounts it reaches show it anyway (a shared account's requests)."""
    accesses = list(accesses_for_user(user))
    own_requests = list(
        ServiceRequest.objects.filter(account__isnull=True, requested_by=user)
        .select_related("authority")
        .order_by("-created_at", "-pk")
    )
    by_account = {a.account_id: requests_of_account(a.account) for a in accesses}
    threads = _threads(
        [r.pk for r in own_requests] + [r.pk for rs in by_account.values() for r in rs]
    )
    return {
        "identifiant": {
            "adresse email": user.email,
            "prénom": user.first_name,
            "nom": user.last_name,
            "créé le": _when(user.date_joined),
            "activé le": _when(user.activated_at),
            "dernière connexion": _when(user.last_login),
        },
        "comptes": [
            _account_data(access, by_account[access.account_id], threads) for access in accesses
        ],
        "demandes sans compte": [_request_data(r, threads) for r in own_requests],
        "demandes d'ouverture de compte": [
            _opening_data(o)
            for o in AccountOpeningRequest.objects.filter(user=user)
            .select_related("authority", "commune")
            .order_by("created_at")
        ],
        "dernières connexions": [
            {
                "le": _when(c.logged_in_at),
                "adresse IP": c.ip_address or "",
                "navigateur": c.user_agent,
                "par": c.get_via_display(),
            }
            for c in Connection.objects.filter(user=user).order_by("-logged_in_at", "-pk")
        ],
        # Never the secret, which is kept nowhere: what « Mon profil » lists.
        "jetons d'accès personnels": [
            {
                "nom": t.name,
                "début du jeton": t.prefix,
                "créé le": _when(t.created_at),
                "dernière utilisation": _when(t.last_used_at),
                "expire le": _when(t.expires_at),
                "révoqué le": _when(t.revoked_at),
            }
            for t in PersonalAccessToken.objects.filter(user=user).order_by("created_at", "pk")
        ],
    }


def _threads(request_pks: list[int]) -> dict[int, list[dict]]:
    threads = defaultdict(list)
    messages = RequestMessage.objects.filter(service_request_id__in=request_pks).order_by(
        "created_at", "pk"
    )
    for m in messages:
        threads[m.service_request_id].append(
            {
                "le": _when(m.created_at),
                "de": m.get_author_role_display(),
                "message": m.body,
                "pièce jointe": m.attachment_name,
            }
        )
    return threads


def _request_data(r: ServiceRequest, threads) -> dict:
    return {
        "collectivité": r.authority.name,
        "type": r.request_type.tracking_label,
        "statut": r.status_label,
        "faite le": _when(r.created_at),
        "traitée le": _when(r.decided_at),
        "email": r.email,
        "valeurs demandées": r.requested,
        "motif du refus": r.refusal_reason,
        "messages": threads.get(r.pk, []),
    }


def _account_data(access, requests: list[ServiceRequest], threads) -> dict:
    account = access.account
    return {
        "collectivité": access.authority.name,
        "code usager": account.code,
        "associé le": _when(access.created_at),
        "titulaire": {
            "civilité": account.civility,
            "nom": account.last_name,
            "prénom": account.first_name,
            "raison sociale": account.company_name,
            "email": account.email,
            "téléphone": account.phone,
            "mobile": account.mobile,
            "téléphone professionnel": account.work_phone,
            "personnes au foyer": account.household_size,
        },
        "adresse de facturation": {
            "n°": " ".join(p for p in (account.billing_number, account.billing_number_suffix) if p),
            "rue": account.billing_street,
            "code postal": account.billing_postal_code,
            "ville": account.billing_city,
            "pays": account.billing_country,
        },
        "choix": {
            "opposition à d'autres usages": account.objects_to_other_uses,
            "refus de l'effacement automatique": account.refuses_automated_erasure,
            "facture dématérialisée": account.paperless_invoices,
        },
        "abonnements": [
            {
                "référence": s.reference,
                "forfait": s.get_kind_display(),
                "adresse": s.address_line,
                "souscrit le": _when(s.subscribed_on),
                "terminé le": _when(s.ended_on),
                "mode de paiement": s.get_payment_mode_display(),
                "IBAN": s.iban_masked,
            }
            for s in Subscription.objects.filter(authority_id=account.authority_id, account=account)
            .select_related("commune")
            .order_by("-subscribed_on")
        ],
        "bacs": [
            {
                "flux": b.get_flux_display(),
                "volume (litres)": b.volume_litres,
                "n° de puce": b.chip_number,
                "n° de cuve": b.tank_number,
                "livré le": _when(b.delivered_on),
                "retiré le": _when(b.removed_on),
            }
            for b in bins_for_account(account)
        ],
        "levées": [
            {"le": _when(lifted_at), "n° de puce": chip, "poids net (g)": grams}
            for lifted_at, chip, grams in lifts_for_account(account).values_list(
                "lifted_at", "bin__chip_number", "net_weight_grams"
            )
        ],
        "apports": [
            {
                "le": _when(d.occurred_at),
                "type": d.get_kind_display(),
                "lieu": d.site,
                "quantité": str(d.quantity) if d.quantity is not None else "",
                "unité": d.quantity_unit,
            }
            for d in dropoffs_for_account(account)
        ],
        "factures": [
            {
                "référence": i.number,
                "date": _when(i.issued_on),
                "échéance": _when(i.due_on),
                "période": f"{_when(i.period_start)} – {_when(i.period_end)}",
                "montant TTC (centimes)": i.total_cents,
                "réglée le": _when(i.paid_at),
                "réglée par": i.paid_by,
            }
            for i in invoices_for_account(account)
        ],
        "paiements": [
            {
                "le": _when(p.created_at),
                "statut": p.get_status_display(),
                "moyen": p.get_method_display(),
                "montant (centimes)": p.amount_cents,
                "email": p.email,
                "payé le": _when(p.paid_at),
                "référence de la transaction": p.transaction_id,
            }
            for p in Payment.objects.filter(
                authority_id=account.authority_id, account=account
            ).order_by("-created_at", "-pk")
        ],
        "mandats de prélèvement": [
            {
                "RUM": m.rum,
                "titulaire du compte": m.holder_name,
                "IBAN": m.iban_masked,
                "BIC": m.bic,
                "signé le": _when(m.signed_on),
                "statut": m.get_status_display(),
                "révoqué le": _when(m.revoked_on),
            }
            for m in Mandate.objects.filter(
                authority_id=account.authority_id, account=account
            ).order_by("-signed_on", "-pk")
        ],
        "rappels des collectes": [
            {
                "flux": ", ".join(r.fluxes),
                "la veille de chaque collecte": r.on_eve,
                "quand un jour de collecte change": r.on_change,
                "modifiés le": _when(r.updated_at),
            }
            for r in CollectionReminder.objects.filter(
                authority_id=account.authority_id, account=account, user_id=access.user_id
            ).order_by("pk")
        ],
        "alertes de consommation": {
            "désactivées le": _when(
                UsageAlertOptOut.objects.filter(account=account)
                .values_list("created_at", flat=True)
                .first()
            ),
            "envoyées": [
                {
                    "année": a.year,
                    "levées comptées": a.lifts,
                    "levées incluses": a.included_lifts,
                    "le": _when(a.sent_at),
                }
                for a in UsageAlert.objects.filter(
                    authority_id=account.authority_id, subscription__account=account, emailed=True
                ).order_by("year", "pk")
            ],
        },
        "reçus de paiement": [
            {
                "facture": r.invoice.number,
                "montant (centimes)": r.amount_cents,
                "payé le": _when(r.paid_on),
                "moyen": r.get_method_display(),
                "envoyé le": _when(r.sent_at),
            }
            for r in PaymentReceipt.objects.filter(
                authority_id=account.authority_id, invoice__account=account
            )
            .select_related("invoice")
            .order_by("paid_on", "pk")
        ],
        "rappels de factures": [
            {
                "facture": r.invoice.number,
                "type": r.get_kind_display(),
                "envoyé le": _when(r.sent_at),
            }
            for r in InvoiceReminder.objects.filter(
                authority_id=account.authority_id, invoice__account=account, emailed=True
            )
            .select_related("invoice")
            .order_by("sent_at", "pk")
        ],
        "avoirs": [
            {
                "numéro": n.number,
                "facture": n.invoice.number,
                "date": _when(n.issued_on),
                "type": n.get_kind_display(),
                "motif": n.get_reason_display(),
                "commentaire": n.text,
                "montant TTC (centimes)": n.total_cents,
                "à rembourser (centimes)": n.refund_cents,
            }
            for n in CreditNote.objects.filter(
                authority_id=account.authority_id, invoice__account=account
            )
            .select_related("invoice")
            .order_by("issued_on", "number")
        ],
        "demandes": [_request_data(r, threads) for r in requests],
    }


def _opening_data(o: AccountOpeningRequest) -> dict:
    return {
        "collectivité": o.authority.name,
        "statut": o.get_status_display(),
        "faite le": _when(o.created_at),
        "nom": o.last_name,
        "prénom": o.first_name,
        "téléphone": o.phone,
        "mobile": o.mobile,
        "adresse": o.address_line,
        "justificatif de domicile": "joint" if o.proof else "supprimé",
        "décidée le": _when(o.decided_at),
        "motif du refus": o.refusal_reason,
    }


def personal_data_rows(data: dict):
    """The same, flattened for a spreadsheet: (rubrique, élément, valeur) rows, where
    « élément » is the path of the value (« 1 / abonnements / 2 / rue »)."""

    def walk(value, path):
        if isinstance(value, dict):
            for key, item in value.items():
                yield from walk(item, [*path, str(key)])
        elif isinstance(value, list):
            for n, item in enumerate(value, start=1):
                yield from walk(item, [*path, str(n)])
        else:
            yield path, "" if value is None else value

    for section, value in data.items():
        for path, leaf in walk(value, []):
            yield section, " / ".join(path), leaf


def retention_periods() -> dict[str, int]:
    """The durations the « Données personnelles » page states, from the settings the daily
    purge applies (in days)."""
    return {
        "documents": settings.PRIVACY_DOCUMENT_DAYS,
        "connections": settings.PRIVACY_CONNECTION_DAYS,
        "unactivated": settings.PRIVACY_UNACTIVATED_DAYS,
        "outbox": settings.PRIVACY_OUTBOX_DAYS,
    }
