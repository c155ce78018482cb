"""The conversation page: one mention with its thread, the author's history, the actions and
notes; and what it polls (presence, notifications).

An htmx request (the inbox's right pane) gets the conversation alone, and an action done there
answers with the next mention's conversation plus, out of band, the handled card (updated or
removed from the list) and the counts: the list and counts change in place."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.models import Team, User
from apps.acknowledgements import services
from apps.acknowledgements.models import AuditEntry
from apps.acknowledgements.selectors import (
    audit_list,
    note_list,
    notification_list,
)
from apps.channels.connectors import REPLY_LENGTH_LIMITS
from apps.community.selectors import person_of_author
from apps.listening.models import Mention

from . import forms as f
from . import presence as presence_state
from .selectors import (
    INFLUENCER_MIN,
    author_history,
    inbox_mention_following,
    inbox_mention_get,
    inbox_mention_list,
    mention_thread,
)
from .views import (
    ACTIONS,
    AUDIT_SHOWN,
    HTMX_STOP_POLLING,
    _action_form,
    _action_forms,
    _announce,
    _can_act,
    _can_correct,
    _cards,
    _counts_context,
    _list_params,
    _require_acting,
    _run,
    sla_state,
)


def _is_htmx(request: HttpRequest) -> bool:
    """Asked for by htmx (the pane), not by htmx restoring its history (that wants the page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and "HX-History-Restore-Request" not in request.headers
    )


def _render_conversation(
    request: HttpRequest, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """The conversation: its page, or for htmx the pane fragment (the same template)."""
    template = "inbox/_conversation.html" if context["pane"] else "inbox/conversation.html"
    return render(request, template, context, status=status)


def _mention_or_404(request: HttpRequest, mention_id: int) -> Mention:
    try:
        return inbox_mention_get(user=request.user, mention_id=mention_id)
    except Mention.DoesNotExist:
        raise Http404("No such mention.") from None


_AUDIT_LABELS = {
    "sentiment": "Sentiment",
    "intent": "Intent",
    "sentiment_score": "Sentiment score",
    "status": "Status",
    "assigned_to_id": "Assignee",
    "team_id": "Team",
    "acknowledged_at": "Acknowledged at",
}


def _audit_rows(entries: list[AuditEntry]) -> list[dict[str, Any]]:
    """Each entry with what changed (before → after, people and teams by name) and its notes."""
    user_ids, team_ids = set(), set()
    for entry in entries:
        for side in (entry.before, entry.after):
            user_ids.add(side.get("assigned_to_id"))
            team_ids.add(side.get("team_id"))
    users = User.objects.in_bulk(user_ids - {None})
    teams = Team.objects.in_bulk(team_ids - {None})

    def shown(field: str, value: Any) -> str:
        if value in (None, ""):
            return "—"
        if field == "assigned_to_id":
            return users[value].email if value in users else f"user #{value}"
        if field == "team_id":
            return str(teams.get(value, f"team #{value}"))
        return str(value)

    rows = []
    for entry in entries:
        before, after = entry.before or {}, entry.after or {}
        changes = [
            (label, shown(field, before.get(field)), shown(field, after.get(field)))
            for field, label in _AUDIT_LABELS.items()
            if field in after and before.get(field) != after.get(field)
        ]
        notes = [(key, value) for key, value in after.items() if key not in _AUDIT_LABELS]
        rows.append({"entry": entry, "changes": changes, "notes": notes})
    return rows


def _composer(mention: Mention, form: f.InboxForm | None) -> dict[str, Any]:
    """What the reply composer shows: the text with {first_name} and {handle} filled for this
    person (updated live by inbox.js) and, for a reply through the channel, its length
    against the platform's limit."""
    text = (form["text"].value() or "") if form is not None else ""
    preview = services.reply_render(text=text, mention=mention)
    author = mention.author
    return {
        "first_name": (author.display_name or author.handle).split(" ")[0],
        "handle": f"@{author.handle}",
        "preview": preview,
        "length": len(preview),
        "limit": REPLY_LENGTH_LIMITS.get(mention.platform) if f.can_reply(mention) else None,
    }


def _web_link(url: str) -> str:
    """``url`` if it is a web address (fetched data could hold ``javascript:``), else ""."""
    return url if urlsplit(url or "").scheme in ("http", "https") else ""


def _conversation_context(
    request: HttpRequest,
    mention: Mention,
    *,
    bound: dict[str, f.InboxForm] | None = None,
    retry_errors: dict[int, list[str]] | None = None,
    labels_form: f.LabelsForm | None = None,
    note_form: f.NoteForm | None = None,
) -> dict[str, Any]:
    user = request.user
    can_act = _can_act(user)
    forms = {}
    if can_act:
        forms = _action_forms(user, mention) | (bound or {})
    acknowledgements = list(
        mention.acknowledgements.select_related("user").order_by("created_at", "pk")
    )
    for ack in acknowledgements:
        ack.retry_errors = (retry_errors or {}).get(ack.pk, [])
        ack.link = _web_link(ack.external_url)
    audit = audit_list(object_type="mention", object_id=mention.pk)
    if user.is_client_user:  # internal notes stay internal
        audit = audit.exclude(action="note")
    audit = list(audit[:AUDIT_SHOWN])
    pane = _is_htmx(request)
    return {
        "pane": pane,
        "heading_level": 2 if pane else 1,
        "mention": mention,
        "mention_link": _web_link(mention.url),
        "profile_link": _web_link(mention.author.profile_url),
        "thread": mention_thread(user=user, mention=mention),
        "history": author_history(user=user, mention=mention),
        "customer": mention.customer,
        "person": person_of_author(
            user=user, client_id=mention.client_id, author_id=mention.author_id
        ),
        "sla": sla_state(mention, timezone.now()),
        "acknowledgements": acknowledgements,
        "audit": _audit_rows(audit),
        "can_act": can_act,
        "can_reply": f.can_reply(mention),
        "can_correct": _can_correct(user),
        "labels_form": labels_form or f.LabelsForm.for_mention(mention),
        "forms": forms,
        "composer": _composer(mention, forms.get("acknowledge")),
        # Came here by "then open the next" (as the pane does): keep working down the inbox.
        "then_next": request.GET.get("then") == "next"
        or request.POST.get("then") == "next"
        or (pane and request.method == "GET"),
        "notes": list(note_list(user=user, mention=mention)),
        "can_note": can_act and not user.is_client_user,
        "note_form": note_form or f.NoteForm(prefix="note"),
        "influencer_min": INFLUENCER_MIN,
        "presence_poll_seconds": presence_state.POLL_SECONDS,
    }


@login_required
@require_GET
def conversation(request: HttpRequest, mention_id: int) -> HttpResponse:
    """A mention with its thread, its author's history, the customer record, the SLA, the
    acknowledgements and the audit log, and (for those who may act) the action forms."""
    mention = _mention_or_404(request, mention_id)
    return _render_conversation(request, _conversation_context(request, mention))


@login_required
@require_POST
def mention_act(request: HttpRequest, mention_id: int, action: str) -> HttpResponse:
    """Acknowledge, assign, dismiss or escalate one mention; back to it (PRG), or the page again
    with the errors next to their fields (400)."""
    if action not in ACTIONS:
        raise Http404("No such action.")
    mention = _mention_or_404(request, mention_id)
    _require_acting(request)
    form = _action_form(action, request.user, request.POST, mention=mention)
    if form.is_valid():
        try:
            done = _run(user=request.user, ids=[mention.pk], action=action, data=form.cleaned_data)
        except Mention.DoesNotExist:
            raise Http404("No such mention.") from None
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            _announce(request, done)
            if _is_htmx(request):
                return _pane_after_action(request, mention)
            if request.POST.get("then") == "next":
                # without the list beside it: the next down the Open list, newest first
                following = inbox_mention_following(
                    user=request.user, filters={"status": "open"}, after=mention
                )
                if following is None:
                    messages.info(request, "Nobody else is waiting.")
                    return redirect("inbox:list")
                return redirect(reverse("inbox:conversation", args=[following.pk]) + "?then=next")
            return redirect("inbox:conversation", mention_id=mention.pk)
    context = _conversation_context(request, mention, bound={action: form})
    return _render_conversation(request, context, status=400)


def _pane_after_action(request: HttpRequest, handled: Mention) -> HttpResponse:
    """The pane's answer to an action: the mention listed next (with "then open the next"; else
    ``handled`` again), and out of band the handled card — updated if the list still holds it,
    else removed — and the counts, for the list the pane sits beside (``_list_params``)."""
    user = request.user
    context = _counts_context(user, _list_params(request))
    filters = context["filters"]
    card = inbox_mention_list(user=user, filters=filters).filter(pk=handled.pk).first()
    shown: Mention | None = handled
    if request.POST.get("then") == "next":
        shown = inbox_mention_following(user=user, filters=filters, after=handled)
    if shown is not None:
        shown = inbox_mention_get(user=user, mention_id=shown.pk)
        context |= _conversation_context(request, shown)
    context |= {
        "handled": handled.pk,
        "card": _cards([card])[0] if card else None,
        "can_act": _can_act(user),
        "influencer_min": INFLUENCER_MIN,
    }
    return render(request, "inbox/_acted.html", context)


@login_required
@require_POST
def mention_labels(request: HttpRequest, mention_id: int) -> HttpResponse:
    """Correct the mention's sentiment and intent (agency staff); back to it, or the page again
    with the errors (400)."""
    mention = _mention_or_404(request, mention_id)
    if not _can_correct(request.user):
        raise PermissionDenied("Only agency staff can correct labels.")
    form = f.LabelsForm.for_mention(mention, request.POST)
    if form.is_valid():
        services.mention_labels_correct(
            mention=mention, user=request.user, sentiment=form.cleaned_data["sentiment"],
            intent=form.cleaned_data["intent"],
        )  # fmt: skip
        messages.success(request, "Labels corrected: reports now count this mention as you set.")
        return redirect("inbox:conversation", mention_id=mention.pk)
    context = _conversation_context(request, mention, labels_form=form)
    return _render_conversation(request, context, status=400)


@login_required
@require_POST
def acknowledgement_retry(request: HttpRequest, mention_id: int) -> HttpResponse:
    """Send a failed reply again."""
    mention = _mention_or_404(request, mention_id)
    _require_acting(request)
    ack_id = request.POST.get("acknowledgement", "")
    ack = mention.acknowledgements.filter(pk=int(ack_id) if ack_id.isdigit() else None).first()
    if ack is None:
        raise Http404("No such acknowledgement.")
    try:
        services.acknowledgement_retry(acknowledgement=ack, user=request.user)
    except ValidationError as error:
        context = _conversation_context(request, mention, retry_errors={ack.pk: error.messages})
        return _render_conversation(request, context, status=400)
    messages.success(request, "The reply will be sent again.")
    return redirect("inbox:conversation", mention_id=mention.pk)


@require_POST
def presence(request: HttpRequest, mention_id: int) -> HttpResponse:
    """The conversation's presence poll: record that the user has the mention open (``state``
    ``viewing`` or ``drafting``) and show who else has, and any reply to the same person in the
    last minutes."""
    if not request.user.is_authenticated:  # signed out meanwhile: stop polling
        return HttpResponse(status=HTMX_STOP_POLLING)
    mention = _mention_or_404(request, mention_id)
    _require_acting(request)
    state = request.POST.get("state", "viewing")
    if state not in presence_state.STATES:
        return HttpResponse("state: viewing or drafting", status=400)
    presence_state.presence_mark(mention=mention, user=request.user, state=state)
    context = {
        "others": presence_state.presence_others(mention=mention, user=request.user),
        "recent": services.recent_replies(mentions=[mention])[:1],
    }
    return render(request, "inbox/_presence.html", context)


@login_required
@require_POST
def note_add(request: HttpRequest, mention_id: int) -> HttpResponse:
    """Add an internal note (agency staff and team members; never posted); back to the
    conversation, or the page again with the error (400)."""
    mention = _mention_or_404(request, mention_id)
    _require_acting(request)
    if request.user.is_client_user:
        raise PermissionDenied("Internal notes are for the agency's team.")
    form = f.NoteForm(request.POST, prefix="note")
    if form.is_valid():
        try:
            note = services.mention_note_add(
                mention=mention, user=request.user, text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            told = ", ".join(person.email for person in note.mentioned.all())
            messages.success(request, "Note added." + (f" Notified {told}." if told else ""))
            return redirect("inbox:conversation", mention_id=mention.pk)
    context = _conversation_context(request, mention, note_form=form)
    return _render_conversation(request, context, status=400)


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first; opening the page marks them read."""
    shown = list(notification_list(user=request.user)[:100])
    services.notifications_mark_read(user=request.user)
    return render(request, "inbox/notifications.html", {"notifications": shown})
