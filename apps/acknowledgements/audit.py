"""The agency's audit log as the lower apps write to it (``events.audit_recorded``) and as
retention purges it with the mentions (``events.mentions_purging``)."""

from __future__ import annotations

from django.db.models import Q

from .models import Acknowledgement, AuditEntry


def audit_record(
    *, actor, action: str, object_type: str, object_id: int, before: dict, after: dict
) -> AuditEntry:
    """Write one audit entry: who did what to which object, as it was before and after."""
    return AuditEntry.objects.create(
        actor=actor, action=action, object_type=object_type, object_id=object_id,
        before=before, after=after,
    )  # fmt: skip


def audit_purge_for_mentions(*, mention_ids: list[int]) -> dict[str, int]:
    """Delete the audit entries of these mentions and of their acknowledgements (which cascade
    with the mentions); say how many of each go."""
    acknowledgements = Acknowledgement.objects.filter(mention_id__in=mention_ids)
    audit, _ = AuditEntry.objects.filter(
        Q(object_type="mention", object_id__in=mention_ids)
        | Q(object_type="acknowledgement", object_id__in=acknowledgements.values("pk"))
    ).delete()
    return {"acknowledgements": acknowledgements.count(), "audit_entries": audit}
