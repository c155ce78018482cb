"""Pages of the community: a person across platforms (with the staff's link, merge and split
decisions) and a client's community of a period (helpers, topics, the conversation map).

Client users reach them for their own clients only; another client's person is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.models import User
from apps.reporting.periods import client_or_404, requested_period

from . import selectors, services, svg
from .models import Person, PersonLinkSuggestion


def _person_or_404(request: HttpRequest, person_id: int) -> Person:
    try:
        return selectors.person_get(user=request.user, person_id=person_id)
    except Person.DoesNotExist:
        raise Http404("No such person.") from None


def _require_staff(request: HttpRequest) -> None:
    if request.user.role not in services.STAFF_ROLES:
        raise PermissionDenied("Only agency staff link, merge or split people.")


@require_GET
@login_required
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    """Everything the person said on every channel, how (fast) they were acknowledged, their
    sentiment over time, value and influence, and the links staff may decide."""
    person = _person_or_404(request, person_id)
    mentions = list(selectors.person_mentions(person=person)[:200])
    summary = selectors.person_summary(person=person)
    context = {
        "person": person,
        "authors": list(person.links.all()),
        "mentions": mentions,
        "summary": summary,
        "suggestions": selectors.link_suggestions(person=person),
        "can_decide": request.user.role in services.STAFF_ROLES,
    }
    return render(request, "community/person.html", context)


def _decided(request: HttpRequest, person: Person, error: ValidationError | None, done: str):
    if error is not None:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect("community:person", person_id=person.pk)


@require_POST
@login_required
def person_merge(request: HttpRequest, person_id: int) -> HttpResponse:
    person = _person_or_404(request, person_id)
    _require_staff(request)
    other_id = request.POST.get("person", "")
    try:
        other = selectors.person_get(
            user=request.user, person_id=int(other_id) if other_id.isdigit() else 0
        )
        person = services.person_merge(person=person, other=other, user=request.user)
    except Person.DoesNotExist:
        return _decided(request, person, ValidationError("No such person."), "")
    except ValidationError as error:
        return _decided(request, person, error, "")
    return _decided(request, person, None, f"Merged person {other_id} into {person.name}.")


@require_POST
@login_required
def person_split(request: HttpRequest, person_id: int) -> HttpResponse:
    person = _person_or_404(request, person_id)
    _require_staff(request)
    ids = [int(a) for a in request.POST.getlist("authors") if a.isdigit()]
    try:
        split = services.person_split(person=person, author_ids=ids, user=request.user)
    except ValidationError as error:
        return _decided(request, person, error, "")
    messages.success(request, f"Split into a new person: {split.name}.")
    return redirect("community:person", person_id=split.pk)


@require_POST
@login_required
def suggestion_decide(request: HttpRequest, suggestion_id: int, decision: str) -> HttpResponse:
    """Accept (the two people become one) or reject a suggested link."""
    if decision not in ("accept", "reject"):
        raise Http404("No such decision.")
    try:
        suggestion = selectors.link_suggestion_get(user=request.user, suggestion_id=suggestion_id)
    except PersonLinkSuggestion.DoesNotExist:
        raise Http404("No such suggestion.") from None
    _require_staff(request)
    person = selectors.person_of_author(
        user=request.user, client_id=suggestion.client_id, author_id=suggestion.author_id
    )
    try:
        services.link_suggestion_decide(
            suggestion=suggestion, user=request.user, accept=decision == "accept"
        )
    except ValidationError as error:
        return _decided(request, person, error, "")
    person = selectors.person_of_author(
        user=request.user, client_id=suggestion.client_id, author_id=suggestion.author_id
    )
    done = "Linked: they are one person now." if decision == "accept" else "Suggestion rejected."
    return _decided(request, person, None, done)


@require_GET
@login_required
def client_community(request: HttpRequest, client_id: int) -> HttpResponse:
    """A client's community in a period: helpers with what they answered and a suggested
    thanks, topics drillable to their mentions, and who talks to whom."""
    client = client_or_404(request, client_id)
    if request.user.role == User.Role.TEAM_MEMBER:
        raise Http404("No such client.")
    try:
        period = requested_period(request, client)
    except ValueError as error:
        return render(
            request, "community/community.html", {"client": client, "error": str(error)},
            status=400,
        )  # fmt: skip
    community = selectors.community_of(client=client, period=period)
    helpers = selectors.community_helpers(community, period=period)
    conversation_map = selectors.conversation_map(community, client=client, helpers=helpers)
    labels = {node.key: node.label for node in conversation_map.nodes}
    context = {
        "client": client,
        "period": period,
        "query": f"since={period.since.isoformat()}&until={period.until.isoformat()}",
        "helpers": [
            (helper, selectors.helped_whom(helper, community, client=client)) for helper in helpers
        ],
        "topics": selectors.community_topics(client=client, period=period),
        "share": selectors.community_answer_share(community, client=client, period=period),
        "map_svg": svg.conversation_map_svg(
            conversation_map, f"Who replied to whom at {client.name}"
        ),
        "map_rows": [
            (labels[source], labels[target], count)
            for source, target, count in conversation_map.edges
        ],
    }
    return render(request, "community/community.html", context)
