"""Saved replies: written once, previewed, reused with placeholders filled per person."""

from __future__ import annotations

import re
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.accounts.models import User
from apps.clients.models import Client

from ..models import AuditEntry, SavedReply
from .replies import reply_render

# --- saved replies -------------------------------------------------------------------------------

_ANY_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def _validate_saved_reply(*, title: str, text: str) -> None:
    errors = {}
    if not title.strip():
        errors["title"] = "Give the saved reply a title."
    if not text.strip():
        errors["text"] = "A saved reply needs text."
    unknown = sorted({name for name in _ANY_PLACEHOLDER.findall(text)} - {"first_name", "handle"})
    if unknown:
        errors["text"] = f"Unknown placeholder {{{unknown[0]}}}: use {{first_name}} or {{handle}}."
    if errors:
        raise ValidationError(errors)


SAMPLE_AUTHOR = SimpleNamespace(handle="ana.lima", display_name="Ana Lima")


def saved_reply_preview(*, text: str) -> str:
    """The reply as a sample person (Ana Lima, @ana.lima) would receive it."""
    return reply_render(text=text, mention=SimpleNamespace(author=SAMPLE_AUTHOR))


def _saved_reply_audit(user: User | None, action: str, reply: SavedReply, before: dict) -> None:
    AuditEntry.objects.create(
        actor=user, action=action, object_type="saved_reply", object_id=reply.pk, before=before,
        after={"title": reply.title, "text": reply.text, "client": reply.client_id},
    )  # fmt: skip


@transaction.atomic
def saved_reply_create(
    *, title: str, text: str, user: User, client: Client | None = None
) -> SavedReply:
    """A reusable reply for one client (or, without one, for every client)."""
    _validate_saved_reply(title=title, text=text)
    reply = SavedReply.objects.create(
        client=client, title=title.strip(), text=text.strip(), created_by=user
    )
    _saved_reply_audit(user, "create", reply, {})
    return reply


@transaction.atomic
def saved_reply_update(
    *, saved_reply: SavedReply, title: str, text: str, user: User | None = None
) -> SavedReply:
    _validate_saved_reply(title=title, text=text)
    before = {"title": saved_reply.title, "text": saved_reply.text, "client": saved_reply.client_id}
    saved_reply.title, saved_reply.text = title.strip(), text.strip()
    saved_reply.save(update_fields=["title", "text"])
    _saved_reply_audit(user, "update", saved_reply, before)
    return saved_reply
