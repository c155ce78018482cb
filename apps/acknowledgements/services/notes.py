"""Internal notes on mentions, the colleagues they @-mention, and their notifications."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.listening.models import Mention

from ..models import AuditEntry, MentionNote, Notification

# --- internal notes ------------------------------------------------------------------------------

MAX_NOTE_LENGTH = 5000
_AT_NAME = re.compile(r"(?<![\w.])@([\w.+-]+@[\w-]+(?:\.[\w-]+)+|[\w.+-]*\w)")


def note_mentioned_users(*, text: str) -> list[User]:
    """The teammates a note's ``@name``s address: an ``@`` followed by a whole e-mail address,
    its part before the ``@``, or a first name (case-insensitive) — active agency staff and team
    members only (client users never see notes)."""
    names = {name.lower() for name in _AT_NAME.findall(text)}
    if not names:
        return []
    staff = User.objects.filter(
        is_active=True, role__in=[*User.STAFF_ROLES, User.Role.TEAM_MEMBER]
    ).order_by("email")
    return [
        user
        for user in staff
        if {user.email.lower(), user.email.split("@")[0].lower(), user.first_name.lower()} & names
    ]


def mention_note_add(*, mention: Mention, user: User, text: str) -> MentionNote:
    """Add an internal note to a mention: shown in its conversation and audit log, never
    posted. Each teammate it ``@``-mentions gets an in-app notification and an e-mail (sent
    once the note is committed)."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write the note."})
    if len(text) > MAX_NOTE_LENGTH:
        raise ValidationError({"text": f"Keep a note under {MAX_NOTE_LENGTH} characters."})
    mentioned = [
        person
        for person in note_mentioned_users(text=text)
        if person.pk != user.pk
        # a team member sees only what is routed to a team of theirs: tell only those who can
        and (
            person.role != User.Role.TEAM_MEMBER or person.teams.filter(pk=mention.team_id).exists()
        )
    ]
    with transaction.atomic():
        note = MentionNote.objects.create(mention=mention, author=user, text=text)
        note.mentioned.set(mentioned)
        summary = f"{user.email} mentioned you in a note on @{mention.author.handle}: {text}"
        Notification.objects.bulk_create(
            Notification(
                user=person,
                kind=Notification.Kind.NOTE_MENTION,
                mention=mention,
                note=note,
                text=summary[:500],
            )
            for person in mentioned
        )
        AuditEntry.objects.create(
            actor=user, action="note", object_type="mention", object_id=mention.pk,
            after={"note": text, "mentioned": ", ".join(p.email for p in mentioned)},
        )  # fmt: skip
        if mentioned:
            recipients = [person.email for person in mentioned]
            transaction.on_commit(
                lambda: send_mail(
                    subject=f"[Rapport] {user.email} mentioned you in a note",
                    message=f"{summary}\n\nOpen the conversation: /inbox/{mention.pk}/",
                    from_email=None,
                    recipient_list=recipients,
                )
            )
    return note


def notifications_mark_read(*, user: User) -> int:
    """Mark all of ``user``'s unread notifications read."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
