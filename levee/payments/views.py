from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from levee.authorities.selectors import authority_get_by_slug
from levee.lib import throttle
from levee.payments.access import (
    get_invoice_for_user,
    get_payment_for_user,
    get_sandbox_transaction,
)
from levee.payments.forms import SandboxCardForm
from levee.payments.gateways.sandbox import (
    ACCEPTED_CARD,
    sandbox_expired,
    sandbox_screen_context,
    sandbox_transaction_finish,
)
from levee.payments.models import GatewayName, SandboxResult, SandboxTransaction
from levee.payments.selectors import invoice_left_cents, invoice_paid_cents
from levee.payments.services import (
    PaymentNotPossible,
    payment_abandon,
    payment_notified,
    payment_returned,
    payment_start,
)
from levee.space.on_behalf import on_behalf_of
from levee.space.views import space_context

# A browser comes back once or twice per payment; more is someone calling the URL.
RETURN_PER_PAYMENT = throttle.Limit("payment-return", 5, 10 * 60)
RETURN_PER_ADDRESS = throttle.Limit("payment-return-ip", 30, 10 * 60)


def invoices_url(authority) -> str:
    return reverse("billing:invoices", args=[authority.slug])


@login_required
@require_POST
def pay(request, slug, invoice_pk):
    """« Régler »: starts a payment of one of the person's invoices, sends him to the
    gateway."""
    authority = authority_get_by_slug(slug)
    invoice, account = get_invoice_for_user(request, authority, invoice_pk)
    if on_behalf_of(request) is not None:
        messages.error(
            request, "Le règlement en ligne se fait par l'usager lui-même, depuis son espace."
        )
        return redirect(invoices_url(authority))
    try:
        url = payment_start(invoice=invoice, email=request.user.email, today=timezone.localdate())
    except PaymentNotPossible as refusal:
        messages.error(request, str(refusal))
        return redirect(invoices_url(authority))
    return redirect(url)


@login_required
@require_POST
def abandon(request, slug, invoice_pk):
    """« Abandonner le paiement »: the resident gives up the payment left waiting, so that
    « Régler » starts a new one."""
    authority = authority_get_by_slug(slug)
    invoice, account = get_invoice_for_user(request, authority, invoice_pk)
    if on_behalf_of(request) is not None:
        messages.error(
            request, "Le règlement en ligne se fait par l'usager lui-même, depuis son espace."
        )
        return redirect(invoices_url(authority))
    try:
        payment_abandon(invoice=invoice)
    except PaymentNotPossible as refusal:
        messages.error(request, str(refusal))
        return redirect(invoices_url(authority))
    messages.success(
        request,
        f"Le paiement est abandonné : la facture {invoice.number} n'est pas réglée, vous "
        "pouvez la régler à nouveau.",
    )
    return redirect(invoices_url(authority))


@csrf_exempt
@require_POST
def notify(request):
    """PayFiP's server-to-server notification (idOp posted): confirmed by the status
    call; 404 for an operation the portal does not know."""
    order_id = request.POST.get("idOp") or request.POST.get("idop") or ""
    payment = payment_notified(gateway=GatewayName.PAYFIP, order_id=order_id.strip())
    if payment is None:
        return HttpResponse("Opération inconnue", status=404, content_type="text/plain")
    return HttpResponse("OK", content_type="text/plain")


@csrf_exempt
def return_(request, slug, payment_pk):
    """Where the gateway sends the resident's browser back (PayFiP posts to it, from its own
    site, so no session cookie comes with the post): confirms a payment still waiting by the
    status call, then leads to the result page, a plain GET of the portal. Anyone may call
    it: past RETURN_PER_PAYMENT or RETURN_PER_ADDRESS, the gateway is not asked (the
    notification and the periodic job settle the payment) and the page says what is known."""
    authority = authority_get_by_slug(slug)
    ip = throttle.client_ip(request)
    subject = f"{authority.pk}:{payment_pk}"
    ask = not (
        throttle.is_blocked(RETURN_PER_ADDRESS, ip)
        or throttle.is_blocked(RETURN_PER_PAYMENT, subject)
    )
    payment = payment_returned(authority=authority, payment_pk=payment_pk, ask_gateway=ask)
    throttle.hit(RETURN_PER_ADDRESS, ip)
    if payment is None:
        raise Http404
    throttle.hit(RETURN_PER_PAYMENT, subject)
    return redirect("payments:result", authority.slug, payment_pk)


@login_required
def result(request, slug, payment_pk):
    """The payment's outcome, told to the resident."""
    authority = authority_get_by_slug(slug)
    payment, account = get_payment_for_user(request, authority, payment_pk)
    return render(
        request,
        "payments/result.html",
        {
            **space_context(request, authority, account),
            "payment": payment,
            "invoice": payment.invoice,
            # A part paid otherwise (a cheque recorded): what is left after it.
            "paid_cents": invoice_paid_cents(payment.invoice),
            "left_cents": invoice_left_cents(payment.invoice),
            "invoices_url": invoices_url(authority),
        },
    )


def sandbox_end(sandbox: SandboxTransaction, result: str):
    """Records the resident's answer, notifies the portal the way PayFiP does (the same
    confirmation path as PayFiP's notification), and sends the browser back."""
    sandbox_transaction_finish(sandbox=sandbox, result=result)
    payment_notified(gateway=GatewayName.SANDBOX, order_id=sandbox.idop)
    return redirect(sandbox.return_url)


def sandbox_closed(request, sandbox):
    return render(
        request, "payments/sandbox_closed.html", sandbox_screen_context(sandbox), status=410
    )


def sandbox_debt(request, idop):
    """Screen 1: « Informations sur la dette », « Choix du mode de paiement »."""
    sandbox = get_sandbox_transaction(idop)
    if sandbox.result or sandbox_expired(sandbox, now=timezone.now()):
        return sandbox_closed(request, sandbox)
    return render(request, "payments/sandbox_debt.html", sandbox_screen_context(sandbox))


@require_POST
def sandbox_debit(request, idop):
    """« Payer par prélèvement »: the sandbox pays it by debit at once."""
    sandbox = get_sandbox_transaction(idop)
    if sandbox.result or sandbox_expired(sandbox, now=timezone.now()):
        return sandbox_closed(request, sandbox)
    return sandbox_end(sandbox, SandboxResult.DEBIT_PAID)


def sandbox_card(request, idop):
    """Screen 2: the card. « Valider » pays (or refuses, for the refused test card);
    « Annuler » abandons."""
    sandbox = get_sandbox_transaction(idop)
    if sandbox.result or sandbox_expired(sandbox, now=timezone.now()):
        return sandbox_closed(request, sandbox)
    if request.method == "POST" and "annuler" in request.POST:
        return sandbox_end(sandbox, SandboxResult.ABANDONED)
    form = SandboxCardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        accepted = form.cleaned_data["card_number"] == ACCEPTED_CARD
        return sandbox_end(sandbox, SandboxResult.CARD_PAID if accepted else SandboxResult.REFUSED)
    return render(
        request,
        "payments/sandbox_card.html",
        {
            **sandbox_screen_context(sandbox),
            "form": form,
            "transaction_ref": f"DEMO{sandbox.pk:018d}",
        },
        status=400 if form.is_bound else 200,
    )
