"""Listening query pages: list, create and edit with live validation, re-match progress."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.clients.selectors import client_list

from . import selectors, services
from .models import ListeningQuery, QueryRematch

PREVIEW_SIZE = 20


class QueryForm(forms.Form):
    """Shapes the input; the service validates the expression and the name."""

    name = forms.CharField(max_length=200)
    # Stored as typed: the normalised reading is shown, never silently saved instead.
    expression = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), strip=False)
    is_competitor = forms.BooleanField(required=False, label="Competitor query")


class QueryCreateForm(QueryForm):
    client = forms.ModelChoiceField(queryset=None, empty_label=None)
    field_order = ["client", "name", "expression", "is_competitor"]

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = client_list(user=user)


class QueryEditForm(QueryForm):
    is_active = forms.BooleanField(required=False, label="Active")


def _query_or_404(request, query_id: int) -> ListeningQuery:
    try:
        return selectors.query_get(user=request.user, query_id=query_id)
    except ListeningQuery.DoesNotExist:
        raise Http404("No such query.") from None


def _require_staff(request) -> None:
    """Only agency staff (owner, manager, responder) write queries; others are told nothing."""
    if not request.user.is_agency_staff:
        raise Http404("No such page.")


def _caret(expression: str, position: int | None) -> dict | None:
    """The line of the expression holding the error, and spaces up to the offending column."""
    if position is None:
        return None
    start = expression.rfind("\n", 0, position) + 1
    end = expression.find("\n", position)
    line = expression[start : end if end != -1 else len(expression)]
    return {"line": line, "pad": " " * (position - start)}


def _form_context(form: forms.Form) -> dict:
    expression = form.data.get("expression", form.initial.get("expression", ""))
    check = services.expression_check(expression) if expression else None
    return {
        "form": form,
        "check": check,
        "caret": _caret(expression, check.position) if check and not check.ok else None,
    }


@login_required
def query_list(request):
    client_id = request.GET.get("client")
    queries = selectors.query_list(
        user=request.user, client_id=int(client_id) if client_id and client_id.isdigit() else None
    )
    return render(request, "listening/query_list.html", {"queries": queries})


@login_required
@require_http_methods(["GET", "POST"])
def query_create(request):
    _require_staff(request)
    form = QueryCreateForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            query = services.query_create(
                client=form.cleaned_data["client"],
                name=form.cleaned_data["name"],
                expression=form.cleaned_data["expression"],
                is_competitor=form.cleaned_data["is_competitor"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("listening:detail", query_id=query.pk)
    status = 400 if form.errors else 200
    return render(request, "listening/query_form.html", _form_context(form), status=status)


@login_required
@require_http_methods(["GET", "POST"])
def query_edit(request, query_id: int):
    query = _query_or_404(request, query_id)
    _require_staff(request)
    initial = {
        "name": query.name,
        "expression": query.expression,
        "is_competitor": query.is_competitor,
        "is_active": query.is_active,
    }
    form = QueryEditForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.query_update(query=query, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("listening:detail", query_id=query.pk)
    context = {**_form_context(form), "query": query}
    return render(request, "listening/query_form.html", context, status=400 if form.errors else 200)


@login_required
def query_detail(request, query_id: int):
    query = _query_or_404(request, query_id)
    context = {
        "query": query,
        "normalised": services.expression_check(query.expression).normalised,
        "rematch": selectors.query_rematch_latest(query=query),
        "match_count": selectors.query_mention_count(query=query),
        "mentions": selectors.query_mention_list(query=query)[:PREVIEW_SIZE],
    }
    return render(request, "listening/query_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def query_check(request):
    """Live validation as the user types: ``?expression=`` (or a POSTed one) → JSON."""
    expression = request.POST.get("expression") or request.GET.get("expression", "")
    return JsonResponse(services.expression_check(expression).as_dict())


@login_required
def rematch_status(request, rematch_id: int):
    """Progress of a re-match, polled by the query page."""
    try:
        rematch = selectors.rematch_get(user=request.user, rematch_id=rematch_id)
    except QueryRematch.DoesNotExist:
        raise Http404("No such re-match.") from None
    return JsonResponse(
        {
            "id": rematch.pk,
            "query": rematch.query_id,
            "status": rematch.status,
            "total": rematch.total,
            "processed": rematch.processed,
            "matched": rematch.matched,
            "percent": 0 if rematch.status == QueryRematch.Status.QUEUED else rematch.percent,
            "error": rematch.error,
            "finished": rematch.status in (QueryRematch.Status.DONE, QueryRematch.Status.FAILED),
        }
    )


MENTIONS_PAGE_SIZE = 50


@login_required
def mention_search(request):
    """Mentions the user may see, filtered, and searched in full text (best match first)."""
    params = request.GET
    filters = {
        "q": params.get("q", ""),
        "client": params.get("client") or None,
        "sentiment": params.get("sentiment") or None,
    }
    if params.get("inbox"):
        filters["needs_acknowledgement"] = True
    if filters["client"] and not filters["client"].isdigit():
        filters["client"] = None
    mentions = selectors.mention_list(user=request.user, filters=filters)[:MENTIONS_PAGE_SIZE]
    matches = None
    if filters["q"].strip():  # counted up to the ranked candidates, "about N" beyond
        everything = selectors.mention_list(user=request.user, filters={**filters, "q": ""})
        total, exact = selectors.mention_match_total(
            selectors.mention_matching(everything, filters["q"])
        )
        matches = {"total": total, "exact": exact}
    return render(
        request,
        "listening/mention_search.html",
        {
            "mentions": mentions,
            "matches": matches,
            "search_candidates": selectors.SEARCH_CANDIDATES,
            "filters": filters,
            "inbox": bool(params.get("inbox")),
            "clients": client_list(user=request.user),
            "sentiments": ("positive", "neutral", "negative"),
        },
    )
