"""Usage rights that follow the deal: the fee is marked paid, and a brand may hold approved
codes back from its ad account until then (the gate itself is flows.held_for_payment, which
every apply path passes)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from integrations.errors import FlowError
from integrations.models import Brand

from .flows import apply_approved
from .models import AuditEvent, SparkAuthorization

Payment = SparkAuthorization.Payment
Status = SparkAuthorization.Status


def mark_paid(auth: SparkAuthorization, user: Any) -> bool:
    """Record the fee as paid, once, and only for a code that was or may still be used; a code
    held for the payment is applied now (the one `tt_video/authorize/` write goes through
    apply_approved's claim). Returns whether it was."""
    auth.guard("mark_paid")
    if not auth.mark_paid(user):
        auth.guard("mark_paid")
        raise FlowError(f"Not possible now: the authorization of {auth.post_name} changed; reload the page.")
    auth.audit(AuditEvent.Kind.PAID, f"Fee of {auth.fee_label} for {auth.post_name} marked paid", actor=user)
    if auth.status != Status.APPROVED:
        return False
    return apply_approved(auth.pk, actor=user)


def set_release_after_payment(brand: Brand, user: Any, on: bool) -> None:
    if (
        not Brand.objects.filter(pk=brand.pk)
        .exclude(spark_release_after_payment=on)
        .update(spark_release_after_payment=on)
    ):
        return  # already so: nothing changed, nothing to record
    brand.spark_release_after_payment = on
    AuditEvent.record(
        brand,
        AuditEvent.Kind.SETTING,
        "Approved codes are now applied only after the fee is marked paid"
        if on
        else "Approved codes are now applied as soon as they arrive",
        actor=user,
    )
    if not on:
        # Codes held for payment are released now, through the usual dispatcher.
        # A row without a code carries nothing to release (its code is on another row).
        SparkAuthorization.objects.filter(
            brand=brand, status=SparkAuthorization.Status.APPROVED, payment_status=Payment.UNPAID
        ).exclude(code_hash="").update(next_poll_at=timezone.now())
