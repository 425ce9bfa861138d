"""An agent's imports: the upload and the retry of an import batch, each audited; the
cancellation of a lift; and the bins an agent adds, replaces and removes on an account's
page (« Ajouter un bac », « Remplacer », « Retirer »), each audited on the account."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from levee.accounts.models import User
from levee.audit.services import audit_write

from .importers import import_batch_create, import_batch_retry
from .models import Bin, CancelledLift, Flux, ImportBatch, ImportStatus, Lift


@transaction.atomic
def import_upload(*, authority, kind: str, upload, agent_user: User) -> ImportBatch:
    """Stores the agent's file with a new batch, run by a task once this commits."""
    batch = import_batch_create(
        authority=authority, kind=kind, upload=upload, created_by=agent_user
    )
    audit_write(
        authority=authority,
        actor=agent_user,
        action="import.upload",
        obj=batch,
        after={"kind": kind, "filename": batch.filename, "size_bytes": batch.size_bytes},
    )
    return batch


@transaction.atomic
def import_retry(*, batch: ImportBatch, agent_user: User) -> bool:
    """Runs again a failed batch, or one whose run died; False when it cannot be."""
    before = batch.status
    if not import_batch_retry(batch=batch):
        return False
    audit_write(
        authority=batch.authority,
        actor=agent_user,
        action="import.retry",
        obj=batch,
        before={"status": before},
        after={"status": ImportStatus.RUNNING},
    )
    return True


@transaction.atomic
def lift_cancel(*, lift: Lift, cancelled_by: User | None) -> bool:
    """Cancels a lift (« Annuler cette levée » of an accepted contest): deletes it, and keeps
    its bin and time in `CancelledLift`, so that no import brings it back. False when the
    lift was already gone. The caller audits (the lift's values go in its audit row)."""
    deleted, _ = Lift.objects.filter(pk=lift.pk, authority_id=lift.authority_id).delete()
    if not deleted:
        return False
    CancelledLift.objects.get_or_create(
        authority_id=lift.authority_id,
        bin_id=lift.bin_id,
        lifted_at=lift.lifted_at,
        defaults={"net_weight_grams": lift.net_weight_grams, "cancelled_by": cancelled_by},
    )
    return True


def _date_fr(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


def _bin_values(bin: Bin) -> dict:
    return {
        "bin": str(bin),
        "subscription": bin.subscription.reference,
        "flux": bin.flux,
        "volume_litres": bin.volume_litres,
        "chip_number": bin.chip_number,
        "tank_number": bin.tank_number,
        "delivered_on": bin.delivered_on.isoformat(),
        "removed_on": bin.removed_on.isoformat() if bin.removed_on else None,
    }


def _numbers_check(*, authority_id, chip_number: str, tank_number: str) -> None:
    """A bin needs its chip or its tank number, each used by no other bin of the authority
    (removed ones included: the lifts of the trucks are matched on them)."""
    errors = {}
    if not chip_number and not tank_number:
        errors["chip_number"] = "Indiquez le n° de puce du bac, ou son n° de cuve."
    for field, number, word in (
        ("chip_number", chip_number, "puce"),
        ("tank_number", tank_number, "cuve"),
    ):
        if not number:
            continue
        other = (
            Bin.objects.filter(authority_id=authority_id, **{field: number})
            .select_related("account")
            .first()
        )
        if other is not None:
            errors[field] = (
                f"Le n° de {word} {number} est déjà celui d'un bac du compte "
                f"{other.account.code} ({other}) : vérifiez le numéro."
            )
    if errors:
        raise ValidationError(errors)


def _delivery_check(*, subscription, delivered_on: datetime.date, field: str) -> None:
    if delivered_on < subscription.subscribed_on:
        raise ValidationError(
            {
                field: f"L'abonnement {subscription.reference} commence le "
                f"{_date_fr(subscription.subscribed_on)} : un bac ne peut y être livré avant."
            }
        )
    if subscription.ended_on is not None and delivered_on > subscription.ended_on:
        raise ValidationError(
            {
                field: f"L'abonnement {subscription.reference} est terminé le "
                f"{_date_fr(subscription.ended_on)} : un bac ne peut y être livré après."
            }
        )


def _bin_create(*, subscription, values: dict) -> Bin:
    try:
        with transaction.atomic():
            return Bin.objects.create(
                authority_id=subscription.authority_id,
                subscription=subscription,
                account_id=subscription.account_id,
                **values,
            )
    except IntegrityError:  # a colleague took the number meanwhile
        raise ValidationError(
            {"chip_number": "Ce numéro vient d'être donné à un autre bac : vérifiez-le."}
        ) from None


@transaction.atomic
def bin_add(
    *,
    subscription,
    flux: str,
    volume_litres: int,
    chip_number: str,
    tank_number: str,
    delivered_on: datetime.date,
    agent_user: User,
) -> Bin:
    """« Ajouter un bac »: a bin delivered to the subscription on `delivered_on`. Raises a
    ValidationError by field (French) when refused."""
    chip_number, tank_number = chip_number.strip(), tank_number.strip()
    if flux not in Flux.values:
        raise ValidationError({"flux": "Choisissez un flux de la liste."})
    if not volume_litres or volume_litres <= 0:
        raise ValidationError({"volume_litres": "Indiquez le volume du bac, en litres."})
    _delivery_check(subscription=subscription, delivered_on=delivered_on, field="delivered_on")
    _numbers_check(
        authority_id=subscription.authority_id, chip_number=chip_number, tank_number=tank_number
    )
    bin = _bin_create(
        subscription=subscription,
        values={
            "flux": flux,
            "volume_litres": volume_litres,
            "chip_number": chip_number,
            "tank_number": tank_number,
            "delivered_on": delivered_on,
        },
    )
    audit_write(
        authority=subscription.authority,
        actor=agent_user,
        action="account.bin_add",
        obj=subscription.account,
        after=_bin_values(bin),
    )
    return bin


def _locked_in_service(bin: Bin, *, field: str) -> Bin:
    locked = (
        Bin.objects.select_for_update()
        .select_related("subscription", "account")
        .get(pk=bin.pk, authority_id=bin.authority_id)
    )
    if locked.removed_on is not None:
        raise ValidationError(
            {field: f"Ce bac a déjà été retiré le {_date_fr(locked.removed_on)}."}
        )
    return locked


def _removal_check(bin: Bin, *, on: datetime.date, field: str) -> None:
    if on < bin.delivered_on:
        raise ValidationError(
            {
                field: f"Ce bac a été livré le {_date_fr(bin.delivered_on)} : il ne peut être "
                "retiré avant."
            }
        )


@transaction.atomic
def bin_remove(*, bin: Bin, removed_on: datetime.date, agent_user: User) -> Bin:
    """« Retirer »: the bin leaves the household on `removed_on` (its lifts stay)."""
    bin = _locked_in_service(bin, field="removed_on")
    _removal_check(bin, on=removed_on, field="removed_on")
    before = _bin_values(bin)
    bin.removed_on = removed_on
    bin.save(update_fields=["removed_on", "updated_at"])
    audit_write(
        authority=bin.authority,
        actor=agent_user,
        action="account.bin_remove",
        obj=bin.account,
        before=before,
        after=_bin_values(bin),
    )
    return bin


@transaction.atomic
def bin_replace(
    *,
    bin: Bin,
    replaced_on: datetime.date,
    volume_litres: int,
    chip_number: str,
    tank_number: str,
    agent_user: User,
) -> Bin:
    """« Remplacer »: the bin is removed on `replaced_on` and a new one of the same flux is
    delivered that day to the same subscription; the lifts stay with the old bin. Returns
    the new bin."""
    chip_number, tank_number = chip_number.strip(), tank_number.strip()
    old = _locked_in_service(bin, field="replaced_on")
    _removal_check(old, on=replaced_on, field="replaced_on")
    if not volume_litres or volume_litres <= 0:
        raise ValidationError({"volume_litres": "Indiquez le volume du nouveau bac, en litres."})
    _delivery_check(subscription=old.subscription, delivered_on=replaced_on, field="replaced_on")
    _numbers_check(authority_id=old.authority_id, chip_number=chip_number, tank_number=tank_number)
    before = _bin_values(old)
    old.removed_on = replaced_on
    old.save(update_fields=["removed_on", "updated_at"])
    new = _bin_create(
        subscription=old.subscription,
        values={
            "flux": old.flux,
            "volume_litres": volume_litres,
            "chip_number": chip_number,
            "tank_number": tank_number,
            "delivered_on": replaced_on,
        },
    )
    audit_write(
        authority=old.authority,
        actor=agent_user,
        action="account.bin_replace",
        obj=old.account,
        before=before,
        after={**_bin_values(new), "removed": str(old)},
    )
    return new
