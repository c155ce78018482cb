"""Settings pages of an agency: each client's SLA policy and routing rules, and the teams.

Owners and managers only; everyone else is told nothing (404). Every write goes through a
service, whose field errors are shown next to their fields with status 400.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods

from apps.accounts import services as account_services
from apps.accounts.models import Team, User
from apps.accounts.selectors import can_manage_people, user_list
from apps.acknowledgements import selectors, services
from apps.acknowledgements.models import RoutingRule
from apps.clients.models import Client
from apps.clients.selectors import client_accounts, client_get, client_list
from apps.clients.services import client_accounts_set
from apps.listening.selectors import query_list
from apps.reporting.exports import audit_csv_rows
from apps.tenants.services import (
    agency_set_portal_staff_names,
    agency_set_report_email,
    agency_set_white_label,
)

from .forms import (
    AuditFilterForm,
    ClientAccountsForm,
    PortalForm,
    RoutingRuleForm,
    SavedReplyForm,
    SettingsForm,
    SlaPolicyForm,
    TeamMembersForm,
    TeamNameForm,
)


def _require_manager(request) -> None:
    if not can_manage_people(request.user):
        raise Http404("No such page.")


def _client_or_404(request, client_id: int) -> Client:
    _require_manager(request)
    try:
        return client_get(user=request.user, client_id=client_id)
    except Client.DoesNotExist:
        raise Http404("No such client.") from None


def _agency_people(request):
    """People who can take routed mentions or join a team: the agency's active staff."""
    return user_list(user=request.user).filter(is_active=True).exclude(role__in=User.CLIENT_ROLES)


def _id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@login_required
@require_http_methods(["GET", "POST"])
def settings_index(request):
    _require_manager(request)
    agency = request.tenant
    if request.method == "POST":
        form = PortalForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    agency_set_report_email(
                        agency=agency, sender_name=data["report_sender_name"],
                        reply_to=data["report_reply_to"],
                    )  # fmt: skip
                    agency_set_portal_staff_names(
                        agency=agency, shown=data["portal_shows_staff_names"]
                    )
                    agency_set_white_label(
                        agency=agency, accent_colour=data["accent_colour"], logo=data["logo"],
                        remove_logo=data["remove_logo"],
                    )  # fmt: skip
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "Portal and report settings saved.")
                return redirect("workspace:index")
    else:
        form = PortalForm(initial={"portal_shows_staff_names": agency.portal_shows_staff_names,
                                   "accent_colour": agency.accent_colour,
                                   "report_sender_name": agency.report_sender_name,
                                   "report_reply_to": agency.report_reply_to})  # fmt: skip
    context = {"clients": client_list(user=request.user).order_by("name"), "portal_form": form}
    return render(request, "workspace/index.html", context, status=400 if form.errors else 200)


# --- SLA policy ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def sla_policy(request, client_id: int):
    client = _client_or_404(request, client_id)
    policy = selectors.sla_policy_for(client=client)
    form = SlaPolicyForm(
        request.POST if request.method == "POST" else None,
        initial=SlaPolicyForm.initial_for(policy),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.sla_policy_update(client=client, user=request.user, **form.service_arguments())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "SLA policy saved.")
            return redirect("workspace:sla", client_id=client.pk)
    now = timezone.now()
    context = {
        "client": client,
        "policy": policy,
        "form": form,
        "now": now,
        "examples": selectors.sla_due_examples(policy=policy, now=now),
    }
    return render(request, "workspace/sla.html", context, status=400 if form.errors else 200)


# --- own and competitors' accounts --------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def client_accounts_edit(request, client_id: int):
    """The client's own and competitors' accounts; saving re-flags its stored mentions."""
    client = _client_or_404(request, client_id)
    current = client_accounts(client=client)
    form = ClientAccountsForm(
        request.POST if request.method == "POST" else None,
        initial={field: ClientAccountsForm.as_lines(items) for field, items in current.items()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            client_accounts_set(client=client, **form.service_arguments())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Accounts saved; the client's mentions were re-checked.")
            return redirect("workspace:accounts", client_id=client.pk)
    context = {"client": client, "form": form, "brand_handles": client.brand_handles}
    return render(request, "workspace/accounts.html", context, status=400 if form.errors else 200)


# --- routing rules -------------------------------------------------------------------------------


def _rule_form(request, client: Client, data=None, initial=None) -> RoutingRuleForm:
    return RoutingRuleForm(
        data,
        initial=initial or {"is_active": True},
        queries=query_list(user=request.user, client_id=client.pk),
        teams=Team.objects.all(),
        people=_agency_people(request),
    )


def _rule_or_404(client: Client, rule_id: int | None) -> RoutingRule:
    try:
        return selectors.routing_rule_get(client=client, rule_id=rule_id or 0)
    except RoutingRule.DoesNotExist:
        raise Http404("No such rule.") from None


@login_required
@require_http_methods(["GET", "POST"])
def routing_rules(request, client_id: int):
    """The client's rules in order. POST ``action``: create, update, delete, up or down (the
    last four with ``rule``, the rule's id)."""
    client = _client_or_404(request, client_id)
    editing = None
    form = _rule_form(request, client)
    if request.method == "GET" and _id(request.GET.get("edit")):
        editing = _rule_or_404(client, _id(request.GET.get("edit")))
        form = _rule_form(request, client, initial=RoutingRuleForm.initial_for(editing))
    if request.method == "POST":
        action = request.POST.get("action", "create")
        if action not in ("create", "update", "delete", "up", "down"):
            raise Http404("No such action.")
        if action != "create":
            editing = _rule_or_404(client, _id(request.POST.get("rule")))
        if action == "delete":
            services.routing_rule_delete(rule=editing, user=request.user)
            messages.success(request, f"Rule “{editing.name}” deleted.")
            return redirect("workspace:routing", client_id=client.pk)
        if action in ("up", "down"):
            services.routing_rule_move(rule=editing, user=request.user, direction=action)
            return redirect("workspace:routing", client_id=client.pk)
        form = _rule_form(request, client, data=request.POST)
        if form.is_valid():
            try:
                if editing:
                    services.routing_rule_update(
                        rule=editing, user=request.user, **form.cleaned_data
                    )
                else:
                    services.routing_rule_create(
                        client=client, user=request.user, **form.cleaned_data
                    )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "Rule saved.")
                return redirect("workspace:routing", client_id=client.pk)
    context = {
        "client": client,
        "rules": selectors.routing_rule_list(client=client),
        "form": form,
        "editing": editing,
    }
    return render(request, "workspace/routing.html", context, status=400 if form.errors else 200)


# --- teams ---------------------------------------------------------------------------------------


def _team_or_404(team_id: int | None) -> Team:
    try:
        return Team.objects.get(pk=team_id or 0)
    except Team.DoesNotExist:
        raise Http404("No such team.") from None


def _team_change(request, people) -> SettingsForm | None:
    """Carry out a POSTed team change; the form that failed, if one did."""
    action = request.POST.get("action", "")
    if action not in ("create", "rename", "delete", "members"):
        raise Http404("No such action.")
    if action == "create":
        form = TeamNameForm(request.POST, prefix="new")
        write = lambda data: account_services.team_add(name=data["name"], user=request.user)  # noqa: E731
    else:
        team = _team_or_404(_id(request.POST.get("team")))
        if action == "delete":
            account_services.team_delete(team=team, user=request.user)
            return None
        if action == "rename":
            form = TeamNameForm(request.POST, prefix=f"t{team.pk}")
            write = lambda data: account_services.team_update(  # noqa: E731
                team=team, user=request.user, name=data["name"]
            )
        else:
            form = TeamMembersForm(request.POST, prefix=f"t{team.pk}", people=people)
            write = lambda data: account_services.team_members_set(  # noqa: E731
                team=team, user=request.user, members=list(data["members"])
            )
        form.team_id = team.pk
    if form.is_valid():
        try:
            write(form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
    return form if form.errors else None


@login_required
@require_http_methods(["GET", "POST"])
def teams(request):
    """Teams with their members. POST ``action``: create, rename, delete or members (the last
    three with ``team``, the team's id)."""
    _require_manager(request)
    people = _agency_people(request)
    failed = _team_change(request, people) if request.method == "POST" else None
    if request.method == "POST" and failed is None:
        messages.success(request, "Teams saved.")
        return redirect("workspace:teams")
    rows = []
    members_of = Prefetch("members", queryset=User.objects.order_by("email"))
    for team in Team.objects.prefetch_related(members_of):
        members = list(team.members.all())
        name_form = TeamNameForm(prefix=f"t{team.pk}", initial={"name": team.name})
        members_form = TeamMembersForm(
            prefix=f"t{team.pk}", people=people, initial={"members": members}
        )
        if failed is not None and getattr(failed, "team_id", None) == team.pk:
            if isinstance(failed, TeamMembersForm):
                members_form = failed
            else:
                name_form = failed
        rows.append(
            {"team": team, "members": members, "name_form": name_form, "members_form": members_form}
        )
    create_form = failed if failed is not None and not hasattr(failed, "team_id") else None
    context = {"rows": rows, "create_form": create_form or TeamNameForm(prefix="new")}
    return render(request, "workspace/teams.html", context, status=400 if failed else 200)


# --- saved replies -------------------------------------------------------------------------------


def _require_staff(request) -> None:
    if not request.user.is_agency_staff:
        raise Http404("No such page.")


@login_required
@require_http_methods(["GET", "POST"])
def saved_replies(request):
    """Saved replies (agency-wide or per client) with their placeholders previewed. POST
    ``action``: save (``reply``: the id when editing) or preview."""
    _require_staff(request)
    replies = selectors.saved_reply_list(user=request.user).select_related("client")
    clients = client_list(user=request.user).filter(is_active=True)
    editing = None
    reply_id = _id(request.POST.get("reply") or request.GET.get("edit"))
    if reply_id:
        editing = replies.filter(pk=reply_id).first()
        if editing is None:
            raise Http404("No such saved reply.")
    initial = (
        {"title": editing.title, "text": editing.text, "client": editing.client_id}
        if (editing)
        else {}
    )
    form = SavedReplyForm(
        request.POST if request.method == "POST" else None, clients=clients, initial=initial
    )
    if editing:
        form.fields["client"].disabled = True
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("action") == "preview":
            preview = services.saved_reply_preview(text=data["text"])
        else:
            try:
                if editing:
                    services.saved_reply_update(
                        saved_reply=editing, title=data["title"], text=data["text"],
                        user=request.user,
                    )  # fmt: skip
                else:
                    services.saved_reply_create(
                        title=data["title"], text=data["text"], client=data["client"],
                        user=request.user,
                    )  # fmt: skip
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "Saved reply saved.")
                return redirect("workspace:saved-replies")
    rows = [(reply, services.saved_reply_preview(text=reply.text)) for reply in replies]
    context = {"rows": rows, "form": form, "editing": editing, "preview": preview}
    status = 400 if form.errors else 200
    return render(request, "workspace/saved_replies.html", context, status=status)


# --- audit log -----------------------------------------------------------------------------------


def _audit_filter(request) -> AuditFilterForm:
    _require_manager(request)
    return AuditFilterForm(
        request.GET,
        people=User.objects.exclude(role__in=User.CLIENT_ROLES).order_by("email"),
        clients=client_list(user=request.user).order_by("name"),
        kinds=selectors.audit_object_types(),
    )


def _agency_zone():
    return timezone.get_current_timezone()


@login_required
@require_http_methods(["GET"])
def audit_log(request):
    """Every audited change, newest first, filtered by person, client, kind and date."""
    form = _audit_filter(request)
    entries = selectors.audit_entry_list(
        **(form.selector_arguments(_agency_zone()) if form.is_valid() else {})
    )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, "workspace/audit.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET"])
def audit_csv(request):
    """The filtered audit log as CSV (formula-like cells quoted)."""
    form = _audit_filter(request)
    if not form.is_valid():
        return HttpResponseBadRequest("Bad filter: " + form.errors.as_text())
    entries = selectors.audit_entry_list(**form.selector_arguments(_agency_zone()))
    response = StreamingHttpResponse(
        audit_csv_rows(entries.order_by("created_at", "id")), content_type="text/csv; charset=utf-8"
    )
    response.headers["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename="audit.csv"
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_http_methods(["GET"])
def agency_logo(request):
    """The agency's logo (white label: the portal's header shows it, the sign-in page too)."""
    agency = request.tenant
    if not agency.logo_type:
        raise Http404("No logo.")
    response = HttpResponse(bytes(agency.logo), content_type=agency.logo_type)
    patch_cache_control(response, public=True, max_age=300)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response
