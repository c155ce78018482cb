"""The responders' inbox: the filtered list with live counts and bulk actions, and a mention's
conversation with its actions.

Reads go through selectors (scoped to the user: anything else is a 404); writes through the
acknowledgement services. One code path (``_run``) runs an action on one mention or on many, in
one transaction, as the API's bulk endpoint does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.models import Team, User
from apps.accounts.permissions import RESPONDING_ROLES
from apps.acknowledgements import services
from apps.acknowledgements.models import Acknowledgement, AuditEntry
from apps.acknowledgements.selectors import (
    audit_list,
    note_list,
    notification_list,
    saved_reply_list,
)
from apps.channels.connectors import REPLY_LENGTH_LIMITS
from apps.channels.selectors import channel_list
from apps.clients.selectors import client_list
from apps.community.selectors import person_of_author
from apps.core.keyset import InvalidCursor, keyset_page
from apps.listening.models import Mention
from apps.listening.selectors import (
    SEARCH_CANDIDATES,
    mention_list,
    mention_match_total,
    mention_matching,
)

from . import forms as f
from . import presence as presence_state
from .selectors import (
    INFLUENCER_MIN,
    OPEN_STATUSES,
    assignee_list,
    author_history,
    inbox_mention_get,
    inbox_mention_list,
    inbox_next_mention,
    inbox_status_counts,
    mark_helpers,
    mention_thread,
)

ACTIONS = services.ACTIONS
PAGE_SIZE = 50
AUDIT_SHOWN = 100
STATUS_TABS = (
    ("open", "Open"),
    ("new", "New"),
    ("assigned", "Assigned"),
    ("escalated", "Escalated"),
    ("acknowledged", "Acknowledged"),
    ("dismissed", "Dismissed"),
    ("all", "All"),
)
HTMX_STOP_POLLING = 286  # htmx stops an ``every`` trigger on this status


# --- actions: one code path for one mention or many ------------------------------------------


@dataclass(frozen=True)
class Done:
    message: str
    warning: str = ""


def _people(mentions: list[Mention]) -> str:
    return "1 mention" if len(mentions) == 1 else f"{len(mentions)} mentions"


def _done(action: str, mentions: list[Mention], data: dict[str, Any]) -> str:
    """What the user is told once ``action`` is done."""
    if action == "acknowledge":
        how = Acknowledgement.Kind(data["kind"]).label.lower()
        return f"Acknowledged {_people(mentions)} ({how})."
    if action == "assign":
        to = data.get("user") or data.get("team")
        return f"Assigned {_people(mentions)} to {getattr(to, 'email', to)}."
    if action == "dismiss":
        return f"Dismissed {_people(mentions)}."
    return f"Escalated {_people(mentions)} to {data['team']}."


def _run(*, user: User, ids: list[int], action: str, data: dict[str, Any]) -> Done:
    """``action`` on the mentions ``ids``, in one transaction: all of them or none. Raises
    ``Mention.DoesNotExist`` if the user may not see one of them, and the services'
    ``ValidationError``s."""
    with transaction.atomic():
        mentions = list(mention_list(user=user).filter(pk__in=ids).select_for_update(of=("self",)))
        if len(mentions) != len(set(ids)):
            raise Mention.DoesNotExist
        warning = services.mentions_act(
            mentions=mentions, user=user, action=action, kind=data.get("kind", ""),
            text=data.get("text", ""), assignee=data.get("user"), team=data.get("team"),
            reason=data.get("reason", ""), note=data.get("note", ""),
            force=bool(data.get("force")),
        )  # fmt: skip
        return Done(_done(action, mentions, data), warning)


def _announce(request: HttpRequest, done: Done) -> None:
    messages.success(request, done.message)
    if done.warning:
        messages.warning(request, done.warning)


def _action_form(
    action: str, user: User, data: QueryDict | None = None, mention: Mention | None = None
) -> f.InboxForm:
    """The form of ``action``, for one mention or (``mention=None``) for many."""
    client_id = mention.client_id if mention else None
    teams = Team.objects.all()
    if action == "acknowledge":
        replies = saved_reply_list(user=user, client_id=client_id).select_related("client")
        return f.AcknowledgeForm(data, prefix=action, saved_replies=replies, mention=mention)
    if action == "assign":
        people = assignee_list(client_id=client_id)
        return f.AssignForm(data, prefix=action, assignees=people, teams=teams, viewer=user)
    if action == "dismiss":
        return f.DismissForm(data, prefix=action)
    return f.EscalateForm(data, prefix=action, teams=teams)


def _can_correct(user: User) -> bool:
    """Agency staff may correct a mention's sentiment and intent; client users may not."""
    return not user.is_client_user


def _can_act(user: User) -> bool:
    """Client viewers read; everyone else who can see a mention may act on it."""
    return user.role in RESPONDING_ROLES


def _require_acting(request: HttpRequest) -> None:
    if not _can_act(request.user):
        raise PermissionDenied("Your role can read the inbox but not act on it.")


# --- the list --------------------------------------------------------------------------------


def _filter_form(user: User, params: QueryDict) -> f.InboxFilterForm:
    form = f.InboxFilterForm(
        params,
        clients=client_list(user=user).order_by("name"),
        channels=channel_list(user=user).order_by("client__name", "name"),
        teams=user.teams.all() if user.role == User.Role.TEAM_MEMBER else Team.objects.all(),
    )
    form.is_valid()  # invalid values are dropped: the list still shows
    return form


def _with(params: QueryDict, **changes: str) -> str:
    query = params.copy()
    query.pop("page", None)
    query.pop("cursor", None)
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


def _counts_context(user: User, params: QueryDict) -> dict[str, Any]:
    form = _filter_form(user, params)
    filters = form.selector_filters()
    counts = inbox_status_counts(user=user, filters=filters)
    return {
        "filters": filters,
        "counts": counts,
        "querystring": _with(params),
        "status_tabs": [
            {
                "status": status,
                "label": label,
                "count": counts[status],
                "query": _with(params, status=status),
                "current": filters["status"] == status,
            }
            for status, label in STATUS_TABS
        ],
        "form": form,
    }


def _list_context(
    request: HttpRequest,
    params: QueryDict,
    *,
    bulk_forms: dict[str, f.InboxForm] | None = None,
    bulk_error: str = "",
    checked: frozenset[int] = frozenset(),
) -> dict[str, Any]:
    user = request.user
    context = _counts_context(user, params)
    filters = context["filters"]
    mentions = inbox_mention_list(user=user, filters=filters)
    # Keyset pages (a "next" link with a cursor): any page reads one page of the list's index.
    cursor = params.get("cursor") or None
    try:
        page = keyset_page(mentions, PAGE_SIZE, cursor)
    except InvalidCursor:  # a stale or edited link: the first page
        page = keyset_page(mentions, PAGE_SIZE, None)
    rows = page.rows
    matches = None
    if filters.get("q"):  # "about N" past what is worth counting
        everything = inbox_mention_list(user=user, filters={**filters, "q": ""})
        total, exact = mention_match_total(mention_matching(everything, filters["q"]))
        matches = {"total": total, "exact": exact}
        context["search_candidates"] = SEARCH_CANDIDATES
    now = timezone.now()
    for mention in rows:
        mention.countdown = sla_countdown(mention, now)
        mention.is_open = mention.status in OPEN_STATUSES
    can_act = _can_act(user)
    forms = {}
    if can_act:
        forms = {action: _action_form(action, user) for action in ACTIONS} | (bulk_forms or {})
    narrowed = any(
        value for key, value in params.items() if key not in ("page", "cursor", "status") and value
    ) or filters["status"] not in ("open", "all")
    return {
        **context,
        "mentions": mark_helpers(rows),
        "next_cursor": page.next_cursor,
        "previous_cursor": page.previous_cursor,
        "matches": matches,
        "page_query": _with(params),
        "can_act": can_act,
        "bulk": forms,
        "bulk_error": bulk_error,
        "checked": checked,
        "narrowed": narrowed,
        "influencer_min": INFLUENCER_MIN,
        "next": f"{reverse('inbox:list')}?{params.urlencode()}",
    }


@login_required
@require_GET
def inbox_list(request: HttpRequest) -> HttpResponse:
    """The mentions the user may see, filtered, newest (or best matching) first."""
    return render(request, "inbox/inbox.html", _list_context(request, request.GET))


@require_GET
def inbox_counts(request: HttpRequest) -> HttpResponse:
    """The counts per status for the list's filters: the partial htmx polls every 30 s."""
    if not request.user.is_authenticated:  # signed out meanwhile: stop polling
        return HttpResponse(status=HTMX_STOP_POLLING)
    return render(request, "inbox/_counts.html", _counts_context(request.user, request.GET))


def _safe_next(request: HttpRequest) -> str:
    """Where to go back to after a bulk action: the list as it was filtered."""
    target = request.POST.get("next", "")
    if (
        url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
        and urlsplit(target).path == reverse("inbox:list")
        and not urlsplit(target).netloc
    ):
        return target
    return reverse("inbox:list")


@login_required
@require_POST
def inbox_bulk(request: HttpRequest) -> HttpResponse:
    """One action on the ticked mentions, all of them or none; back to the list (PRG), or the
    list again with the errors (400)."""
    _require_acting(request)
    back = _safe_next(request)
    params = QueryDict(urlsplit(back).query)
    action = request.POST.get("action", "")
    ticked = frozenset(int(v) for v in request.POST.getlist("ids") if v.isdigit())
    if action not in ACTIONS:
        context = _list_context(request, params, bulk_error="Choose an action.", checked=ticked)
        return render(request, "inbox/inbox.html", context, status=400)
    form = _action_form(action, request.user, request.POST)
    bulk_error = ""
    try:
        ids = f.selected_ids(request.POST.getlist("ids"))
    except ValidationError as error:
        bulk_error = error.messages[0]
    else:
        if form.is_valid():
            try:
                done = _run(user=request.user, ids=ids, action=action, data=form.cleaned_data)
            except Mention.DoesNotExist:
                bulk_error = "Some ticked mentions are no longer yours to see; nothing was changed."
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                _announce(request, done)
                return redirect(back)
    context = _list_context(
        request, params, bulk_forms={action: form}, bulk_error=bulk_error, checked=ticked
    )
    return render(request, "inbox/inbox.html", context, status=400)


# --- the conversation ------------------------------------------------------------------------


def _mention_or_404(request: HttpRequest, mention_id: int) -> Mention:
    try:
        return inbox_mention_get(user=request.user, mention_id=mention_id)
    except Mention.DoesNotExist:
        raise Http404("No such mention.") from None


SLA_SOON = timedelta(minutes=30)  # a card's SLA clock turns amber with this little time left


def sla_countdown(mention: Mention, now: datetime) -> dict[str, Any] | None:
    """An open mention's SLA clock for its card: ``{"state", "due"}`` with state ``running``,
    ``soon`` (under ``SLA_SOON`` left) or ``breached``; None without a clock."""
    due = mention.sla_due_at
    if due is None or not mention.needs_acknowledgement or mention.status not in OPEN_STATUSES:
        return None
    left = due - now
    state = "breached" if left <= timedelta(0) else "soon" if left < SLA_SOON else "running"
    return {"state": state, "due": due}


def sla_state(mention: Mention, now) -> dict[str, str]:
    """The mention's first-acknowledgement SLA in words: ``{"state", "label"}``."""
    due = mention.sla_due_at
    if not mention.needs_acknowledgement:
        return {"state": "none", "label": "Needs no acknowledgement"}
    if mention.acknowledged_at is not None:
        if due is None:
            return {"state": "met", "label": "Acknowledged (no SLA target)"}
        met = mention.acknowledged_at <= due
        return {"state": "met" if met else "missed", "label": "Met" if met else "Missed"}
    if mention.status == Mention.Status.DISMISSED:
        return {"state": "none", "label": "Dismissed: not counted"}
    if due is None:
        return {"state": "none", "label": "No SLA target for this client yet"}
    if due < now:
        return {"state": "breached", "label": "Breached: not acknowledged in time"}
    return {"state": "running", "label": "Running"}


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
        forms = {a: _action_form(a, user, mention=mention) for a in ACTIONS} | (bound or {})
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
    return {
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
        # Came here by "then open the next": keep working down the inbox.
        "then_next": request.GET.get("then") == "next" or request.POST.get("then") == "next",
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
    return render(request, "inbox/conversation.html", _conversation_context(request, mention))


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
            if request.POST.get("then") == "next":
                following = inbox_next_mention(user=request.user, after=mention)
                if following is None:
                    messages.info(request, "Nobody else is waiting.")
                    return redirect("inbox:list")
                return redirect(reverse("inbox:conversation", args=[following.pk]) + "?then=next")
            return redirect("inbox:conversation", mention_id=mention.pk)
    context = _conversation_context(request, mention, bound={action: form})
    return render(request, "inbox/conversation.html", context, status=400)


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
    return render(request, "inbox/conversation.html", context, status=400)


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
        return render(request, "inbox/conversation.html", context, status=400)
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
    return render(request, "inbox/conversation.html", context, status=400)


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first; opening the page marks them read."""
    shown = list(notification_list(user=request.user)[:100])
    services.notifications_mark_read(user=request.user)
    return render(request, "inbox/notifications.html", {"notifications": shown})
