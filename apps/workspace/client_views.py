"""Client pages: the agency's clients, adding one, editing or archiving it, and inviting its
people to the portal. Owners and managers only; everyone else gets 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.accounts import services as account_services
from apps.accounts.models import User
from apps.clients import services as client_services
from apps.clients.models import Client
from apps.clients.selectors import client_get, client_list

from .forms import ClientForm, ClientInviteForm
from .views import _client_or_404, _require_manager


@login_required
@require_http_methods(["GET"])
def client_index(request):
    _require_manager(request)
    clients = client_list(user=request.user).order_by("-is_active", "name")
    return render(request, "workspace/clients.html", {"clients": clients})


@login_required
@require_http_methods(["GET", "POST"])
def client_new(request):
    _require_manager(request)
    posted = request.method == "POST"
    form = ClientForm(request.POST if posted else None, request.FILES if posted else None)
    if request.method == "POST" and form.is_valid():
        try:
            client = client_services.client_create(**form.service_arguments())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"{client.name} added. Next: connect a channel.")
            return redirect("clients:edit", client_id=client.pk)
    status = 400 if form.errors else 200
    return render(request, "workspace/client_form.html", {"form": form}, status=status)


def _invite(request, client, form: ClientInviteForm) -> User | None:
    if not form.is_valid():
        return None
    try:
        return account_services.user_invite(
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            client=client,
            invited_by=request.user,
            base_url=f"{request.scheme}://{request.get_host()}",
        )
    except (ValidationError, PermissionDenied) as error:
        if isinstance(error, PermissionDenied):
            error = ValidationError(str(error))
        form.add_service_errors(error)
        return None


@login_required
@require_http_methods(["GET", "POST"])
def client_edit(request, client_id: int):
    """The client's settings and people. POST ``action``: save, archive, restore or invite."""
    client = _client_or_404(request, client_id)
    data = request.POST if request.method == "POST" else None
    action = request.POST.get("action", "save") if data else None
    if action not in (None, "save", "archive", "restore", "invite"):
        raise Http404("No such action.")
    saving = action == "save"
    form = ClientForm(
        data if saving else None, request.FILES if saving else None,
        initial=ClientForm.initial_for(client),
    )  # fmt: skip
    invite_form = ClientInviteForm(data if action == "invite" else None, prefix="invite")
    if action in ("archive", "restore"):
        client_services.client_update(client=client, is_active=action == "restore")
        messages.success(request, f"{client.name} {action}d.")
        return redirect("clients:edit", client_id=client.pk)
    if action == "invite" and (invited := _invite(request, client, invite_form)):
        messages.success(request, f"Invitation sent to {invited.email}.")
        return redirect("clients:edit", client_id=client.pk)
    if action == "save" and form.is_valid():
        try:
            client_services.client_update(client=client, **form.service_arguments())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Client saved.")
            return redirect("clients:edit", client_id=client.pk)
    people = client.memberships.select_related("user").order_by("user__email")
    context = {"client": client, "form": form, "invite_form": invite_form, "people": people}
    failed = form.errors or invite_form.errors
    return render(request, "workspace/client_form.html", context, status=400 if failed else 200)


@login_required
@require_http_methods(["GET"])
def client_logo(request, client_id: int):
    """The client's logo, to anyone who may see the client (its own people included)."""
    try:
        client = client_get(user=request.user, client_id=client_id)
    except Client.DoesNotExist:
        raise Http404("No such client.") from None
    if not client.logo_type:
        raise Http404("No logo.")
    response = HttpResponse(bytes(client.logo), content_type=client.logo_type)
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Disposition"] = "inline"
    return response
