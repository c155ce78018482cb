"""Channel pages (health, fetch history, "fetch now"), adding and managing channels (owners
and managers), and the inbound webhook endpoint."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.selectors import can_manage_people
from apps.clients.selectors import client_list

from . import selectors, services
from .connectors import PLATFORMS, describe
from .connectors.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER
from .forms import ChannelForm, ChannelRemoveForm
from .models import Channel, FetchRun


def _channel_or_404(request, channel_id: int) -> Channel:
    try:
        return selectors.channel_get(user=request.user, channel_id=channel_id)
    except Channel.DoesNotExist:
        raise Http404("No such channel.") from None


@login_required
def channel_list(request):
    channels = selectors.channel_list(user=request.user)
    context = {"channels": channels, "can_manage": can_manage_people(request.user)}
    return render(request, "channels/channel_list.html", context)


@login_required
def channel_detail(request, channel_id: int):
    channel = _channel_or_404(request, channel_id)
    runs = selectors.fetch_run_list(channel=channel)
    context = {"channel": channel, "runs": runs, "can_manage": can_manage_people(request.user)}
    return render(request, "channels/channel_detail.html", context)


def _managed_channel_or_404(request, channel_id: int) -> Channel:
    if not can_manage_people(request.user):
        raise Http404("No such channel.")
    return _channel_or_404(request, channel_id)


def _test_or_save(request, form: ChannelForm, save, stored_credentials=None):
    """POST ``action`` test: a dry fetch, its first items (or the platform's error) shown on the
    form (with ``stored_credentials`` where none were typed); otherwise ``save(form)``.
    Returns (response or None, items, test error)."""
    items, test_error = None, None
    if not form.is_valid():
        return None, items, test_error
    if request.POST.get("action") == "test":
        try:
            items = services.channel_test_connection(
                platform=form.platform,
                config=form.config(),
                credentials={**(stored_credentials or {}), **form.credentials()},
            )
        except ValidationError as error:
            form.add_service_errors(error)
            test_error = " ".join(error.messages)
        return None, items, test_error
    try:
        return save(form), items, test_error
    except ValidationError as error:
        form.add_service_errors(error)
        return None, items, test_error


@login_required
@require_http_methods(["GET", "POST"])
def channel_new(request):
    """ "Add channel": choose the platform, fill in its form, "Test connection", then create."""
    if not can_manage_people(request.user):
        raise Http404("No such page.")
    platform = request.POST.get("platform") or request.GET.get("platform")
    clients = client_list(user=request.user).filter(is_active=True)
    if platform not in PLATFORMS:
        platforms = [(name, describe(name).label) for name in PLATFORMS]
        context = {"platforms": platforms, "client_id": request.GET.get("client", "")}
        return render(request, "channels/channel_platforms.html", context)
    initial = {"client": request.GET.get("client"), "name": describe(platform).label}
    form = ChannelForm(
        request.POST if request.method == "POST" else None,
        platform=platform, clients=clients, initial=initial,
    )  # fmt: skip

    def create(form: ChannelForm):
        created = services.channel_create(
            client=form.cleaned_data["client"], platform=platform,
            name=form.cleaned_data["name"], config=form.config(), credentials=form.credentials(),
            fetch_interval_minutes=form.cleaned_data.get("fetch_interval_minutes") or 15,
            listen_only=form.cleaned_data["listen_only"],
        )  # fmt: skip
        if created.webhook_secret:
            return _show_secret(request, created.channel, created.webhook_secret)
        if created.channel.is_pulled:
            services.channel_fetch_now(channel=created.channel)
        messages.success(
            request, f"{created.channel.name} connected; its first fetch is on its way."
        )
        return redirect("channels:detail", channel_id=created.channel.pk)

    done, items, test_error = (None, None, None)
    if request.method == "POST":
        done, items, test_error = _test_or_save(request, form, create)
    if done:
        return done
    context = {"form": form, "platform": platform, "description": describe(platform),
               "items": items, "test_error": test_error}  # fmt: skip
    return render(
        request, "channels/channel_form.html", context, status=400 if form.errors else 200
    )


MASTODON_SIGN_IN = "mastodon_sign_in"  # the session key of a sign-in under way


@login_required
@require_POST
def mastodon_sign_in(request):
    """ "Sign in with Mastodon" on the Mastodon form: register Rapport on the instance at the
    form's server address and send the person there to allow it."""
    if not can_manage_people(request.user):
        raise Http404("No such page.")
    clients = client_list(user=request.user).filter(is_active=True)
    form = ChannelForm(request.POST, platform="mastodon", clients=clients)
    if form.is_valid():
        callback = request.build_absolute_uri(reverse("channels:mastodon-callback"))
        try:
            started = services.mastodon_sign_in_start(
                server=form.config().get("base_url", ""), redirect_uri=callback
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            fields = {k: v for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken",)}
            request.session[MASTODON_SIGN_IN] = {**started.pending, "form": fields}
            # A page with a link, not a redirect: the form page's Content-Security-Policy
            # (form-action 'self') forbids a form submission ending on another site.
            context = {"authorize_url": started.authorize_url, "server": started.pending["server"]}
            return render(request, "channels/mastodon_sign_in.html", context)
    context = {"form": form, "platform": "mastodon", "description": describe("mastodon")}
    return render(request, "channels/channel_form.html", context, status=400)


@login_required
@require_http_methods(["GET"])
def mastodon_callback(request):
    """Back from the instance: exchange the code for a token and create the channel."""
    if not can_manage_people(request.user):
        raise Http404("No such page.")
    pending = request.session.pop(MASTODON_SIGN_IN, None)
    if pending is None:
        raise Http404("No Mastodon sign-in is under way.")
    clients = client_list(user=request.user).filter(is_active=True)
    form = ChannelForm(pending["form"], platform="mastodon", clients=clients)
    try:
        token = services.mastodon_sign_in_finish(
            pending=pending, code=request.GET.get("code", ""), state=request.GET.get("state", "")
        )
        if not form.is_valid():
            raise ValidationError("The channel's settings changed meanwhile; fill them in again.")
        created = services.channel_create(
            client=form.cleaned_data["client"], platform="mastodon",
            name=form.cleaned_data["name"], config={**form.config(), "base_url": pending["server"]},
            credentials={**form.credentials(), "access_token": token},
            fetch_interval_minutes=form.cleaned_data.get("fetch_interval_minutes") or 15,
            listen_only=form.cleaned_data["listen_only"],
        ).channel  # fmt: skip
    except ValidationError as error:
        form.add_service_errors(error)
        context = {"form": form, "platform": "mastodon", "description": describe("mastodon"),
                   "test_error": " ".join(error.messages)}  # fmt: skip
        return render(request, "channels/channel_form.html", context, status=400)
    services.channel_fetch_now(channel=created)
    messages.success(
        request, f"{created.name} connected through Mastodon; its first fetch is on its way."
    )
    return redirect("channels:detail", channel_id=created.pk)


def _show_secret(request, channel: Channel, secret: str):
    url = request.build_absolute_uri(reverse("webhook-receive", args=[channel.webhook_token]))
    context = {"channel": channel, "secret": secret, "webhook_url": url}
    return render(request, "channels/channel_secret.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def channel_edit(request, channel_id: int):
    channel = _managed_channel_or_404(request, channel_id)
    form = ChannelForm(
        request.POST if request.method == "POST" else None,
        platform=channel.platform, editing=True, initial=ChannelForm.initial_for(channel),
    )  # fmt: skip

    def save(form: ChannelForm):
        services.channel_update(
            channel=channel, name=form.cleaned_data["name"], config=form.config(),
            credentials={**channel.credentials, **form.credentials()},
            fetch_interval_minutes=form.cleaned_data.get("fetch_interval_minutes"),
            listen_only=form.cleaned_data["listen_only"],
        )  # fmt: skip
        messages.success(request, "Channel saved.")
        return redirect("channels:detail", channel_id=channel.pk)

    done, items, test_error = (None, None, None)
    if request.method == "POST":
        done, items, test_error = _test_or_save(request, form, save, channel.credentials)
    if done:
        return done
    context = {"form": form, "platform": channel.platform, "channel": channel,
               "description": describe(channel.platform), "items": items,
               "test_error": test_error}  # fmt: skip
    return render(
        request, "channels/channel_form.html", context, status=400 if form.errors else 200
    )


@login_required
@require_POST
def channel_pause(request, channel_id: int):
    channel = _managed_channel_or_404(request, channel_id)
    services.channel_pause(channel=channel)
    messages.success(request, f"{channel.name} paused: nothing is fetched until you resume it.")
    return redirect("channels:detail", channel_id=channel.pk)


@login_required
@require_POST
def channel_resume(request, channel_id: int):
    channel = _managed_channel_or_404(request, channel_id)
    try:
        services.channel_resume(channel=channel)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{channel.name} resumed.")
    return redirect("channels:detail", channel_id=channel.pk)


@login_required
@require_http_methods(["GET", "POST"])
def channel_remove(request, channel_id: int):
    """Asks whether the channel's mentions are kept, then removes it."""
    channel = _managed_channel_or_404(request, channel_id)
    form = ChannelRemoveForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.channel_remove(channel=channel, keep_mentions=form.cleaned_data["keep_mentions"])
        messages.success(request, f"{channel.name} removed.")
        return redirect("channels:list")
    context = {"channel": channel, "form": form, "mentions": channel.mentions.count()}
    return render(
        request, "channels/channel_remove.html", context, status=400 if form.errors else 200
    )


@login_required
@require_POST
def channel_rotate_secret(request, channel_id: int):
    channel = _managed_channel_or_404(request, channel_id)
    try:
        secret = services.channel_rotate_webhook_secret(channel=channel)
    except ValidationError:
        raise Http404("This channel has no signing secret.") from None
    return _show_secret(request, channel, secret)


@login_required
@require_POST
def channel_fetch_now(request, channel_id: int):
    channel = _channel_or_404(request, channel_id)
    if not request.user.is_agency_staff:
        raise Http404("No such channel.")
    run = services.channel_fetch_now(channel=channel)
    if "application/json" in request.headers.get("Accept", ""):  # the page's script: no reload
        return JsonResponse(
            {
                "id": run.pk,
                "created_at": run.created_at.isoformat(),
                "trigger": run.get_trigger_display(),
                "status_url": reverse("channels:run-status", args=[run.pk]),
            },
            status=202,
        )
    return redirect("channels:detail", channel_id=channel.pk)


@login_required
def fetch_run_status(request, run_id: int):
    """Progress of a fetch, polled by the channel page."""
    try:
        run = selectors.fetch_run_get(user=request.user, run_id=run_id)
    except FetchRun.DoesNotExist:
        raise Http404("No such fetch.") from None
    return JsonResponse(
        {
            "id": run.pk,
            "status": run.status,
            "pages": run.pages,
            "fetched": run.fetched,
            "new": run.new,
            "duplicates": run.duplicates,
            "error": run.error_message,
            "finished": run.finished_at is not None,
        }
    )


@csrf_exempt  # authenticated by the HMAC signature instead
@require_POST
def webhook_receive(request, token: str):
    try:
        result = services.webhook_receive(
            token=token,
            body=request.body,
            signature=request.headers.get(SIGNATURE_HEADER),
            timestamp=request.headers.get(TIMESTAMP_HEADER),
        )
    except services.WebhookRejected as rejected:
        return JsonResponse({"errors": rejected.errors}, status=rejected.status)
    return JsonResponse(
        {"received": result.received, "created": result.created, "duplicates": result.duplicates}
    )
