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
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from apps.accounts.models import Team, User
from apps.accounts.permissions import RESPONDING_ROLES
from apps.acknowledgements import services
from apps.acknowledgements.models import Acknowledgement
from apps.acknowledgements.selectors import (
    saved_reply_list,
)
from apps.channels.selectors import channel_list
from apps.clients.selectors import client_list
from apps.core.forms import Listed
from apps.core.keyset import InvalidCursor, keyset_page
from apps.listening.models import Mention
from apps.listening.selectors import (
    SEARCH_CANDIDATES,
    mention_list,
    mention_match_total,
    mention_matching,
)

from . import forms as f
from .selectors import (
    INFLUENCER_MIN,
    OPEN_STATUSES,
    assignee_list,
    inbox_mention_list,
    inbox_status_counts,
    mark_helpers,
)

ACTIONS = services.ACTIONS
CHOOSE = "choose"  # the bulk bar's button without JavaScript: show the actions' forms
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
    action: str,
    user: User,
    data: QueryDict | None = None,
    mention: Mention | None = None,
    *,
    teams: Listed | None = None,
) -> f.InboxForm:
    """The form of ``action``, for one mention or (``mention=None``) for many. The two may
    share a page (the inbox's list and its pane): the bulk forms' ids start with ``bulk_``.
    ``teams``: the agency's teams, when the page has read them already."""
    client_id = mention.client_id if mention else None
    teams = Team.objects.all() if teams is None else teams
    named = {"prefix": action, "auto_id": "id_%s" if mention else "bulk_%s"}
    if action == "acknowledge":
        replies = saved_reply_list(user=user, client_id=client_id).select_related("client")
        replies = replies.only("title", "text", "client__name")  # what the select shows
        return f.AcknowledgeForm(data, **named, saved_replies=replies, mention=mention)
    if action == "assign":
        people = assignee_list(client_id=client_id).only(*f.ASSIGNEE_READ)
        return f.AssignForm(data, **named, assignees=people, teams=teams, viewer=user)
    if action == "dismiss":
        return f.DismissForm(data, **named)
    return f.EscalateForm(data, **named, teams=teams)


def _action_forms(user: User, mention: Mention | None = None) -> dict[str, f.InboxForm]:
    """Every action's form, for one mention or for many; the teams read once for all."""
    teams = Listed.read(Team.objects.all())
    return {action: _action_form(action, user, mention=mention, teams=teams) for action in ACTIONS}


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
    """The list's filters, validated (the chosen client and team against the lists offered)."""
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
    for place in ("page", "cursor", "open"):  # where in the list, not which list
        query.pop(place, None)
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


def _list_params(request: HttpRequest) -> QueryDict:
    """The filters and sort of the list an htmx request was made from: the address of the page
    (``HX-Current-URL``) when it is the inbox list, else none (the Open list, newest first)."""
    page = urlsplit(request.headers.get("HX-Current-URL", ""))
    return QueryDict(page.query) if page.path == reverse("inbox:list") else QueryDict()


def _cards(rows: list[Mention]) -> list[Mention]:
    """``rows`` ready for their cards: the SLA clock, whether still open, community helpers."""
    now = timezone.now()
    for mention in rows:
        mention.countdown = sla_countdown(mention, now)
        mention.is_open = mention.status in OPEN_STATUSES
    return mark_helpers(rows)


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
    can_act = _can_act(user)
    forms = {}
    if can_act and bulk_forms is not None:  # else the bar reads them at the first tick
        forms = _action_forms(user) | bulk_forms
    places = ("page", "cursor", "open", "status")
    narrowed = any(value for key, value in params.items() if key not in places and value) or (
        filters["status"] not in ("open", "all")
    )
    return {
        **context,
        "mentions": _cards(rows),
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
        # The conversation open beside the list (inbox.js keeps ``open`` in the address): the
        # pane loads it again, through the conversation view and its checks.
        "open_id": int(params["open"]) if params.get("open", "").isdigit() else None,
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
@require_http_methods(["GET", "POST"])
def inbox_bulk(request: HttpRequest) -> HttpResponse:
    """GET: the bulk bar's forms (inbox.js draws them into the bar at the first tick). POST: one
    action on the ticked mentions, all of them or none; back to the list (PRG), or the list
    again with the errors (400) — or, to choose an action without JavaScript, with the bar's
    forms and the ticks kept."""
    _require_acting(request)
    if request.method == "GET":
        return render(request, "inbox/_bulk_actions.html", {"bulk": _action_forms(request.user)})
    back = _safe_next(request)
    params = QueryDict(urlsplit(back).query)
    action = request.POST.get("action", "")
    ticked = frozenset(int(v) for v in request.POST.getlist("ids") if v.isdigit())
    if action == CHOOSE:
        context = _list_context(request, params, bulk_forms={}, checked=ticked)
        return render(request, "inbox/inbox.html", context)
    if action not in ACTIONS:
        context = _list_context(
            request, params, bulk_forms={}, bulk_error="Choose an action.", checked=ticked
        )
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


# --- SLA clocks, on the cards and the conversation --------------------------------------------


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
