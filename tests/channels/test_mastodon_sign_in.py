"""Connecting a Mastodon channel by signing in: Rapport registers itself on the instance at the
form's server address, sends the person to allow it, exchanges the code for a token and creates
the channel — against the demo's platform simulator, which speaks Mastodon's documented OAuth."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from apps.channels.models import Channel
from apps.channels.services import channel_fetch
from apps.demo.fake_platforms import FakePlatforms
from apps.listening.models import Mention
from tests.accounts.factories import UserFactory
from tests.clients.factories import ClientFactory
from tests.demo.test_fake_platforms import serving


@pytest.fixture
def instance():
    with serving(FakePlatforms()) as url:
        yield f"{url}/mastodon"


@pytest.fixture
def manager(in_agency_a, client_a):
    client_a.force_login(UserFactory(role="manager"))
    return client_a


def _start(manager, instance, client) -> str:
    response = manager.post(
        "/channels/oauth/mastodon/",
        {
            "platform": "mastodon",
            "client": client.pk,
            "name": "Mentions of @northwind",
            "fetch_interval_minutes": "15",
            "config_base_url": instance,
            "config_mode": "mentions",
        },
    )
    assert response.status_code == 200
    return (
        re.search(r'id="authorize" href="([^"]+)"', response.content.decode())
        .group(1)
        .replace("&amp;", "&")
    )


def _allow(authorize_url: str, account: str = "northwind-coffee") -> str:
    """What the person does on the instance: open the page and press Authorize."""
    page = httpx.get(authorize_url)
    assert page.status_code == 200 and "Authorize Rapport" in page.text
    hidden = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page.text))
    answer = httpx.post(authorize_url.split("?")[0], data={**hidden, "account": account})
    assert answer.status_code == 302
    return answer.headers["Location"]


def test_signing_in_with_mastodon_creates_a_channel_that_fetches(manager, instance):
    client = ClientFactory()
    authorize = _start(manager, instance, client)
    query = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(f"{instance}/oauth/authorize?")
    assert query["response_type"] == ["code"] and query["state"][0]
    assert query["redirect_uri"] == ["http://alpha.localhost/channels/oauth/mastodon/callback/"]

    back = urlsplit(_allow(authorize))
    response = manager.get(f"{back.path}?{back.query}")
    channel = Channel.objects.get(name="Mentions of @northwind")
    assert response["Location"] == f"/channels/{channel.pk}/"
    assert channel.credentials == {"access_token": "demo.mastodon.northwind-coffee"}
    assert channel.config == {"base_url": instance, "mode": "mentions"}
    channel_fetch(channel_id=channel.pk)
    assert Mention.objects.filter(channel=channel).exists()


def test_a_forged_state_creates_nothing(manager, instance):
    authorize = _start(manager, instance, ClientFactory())
    back = urlsplit(_allow(authorize))
    forged = re.sub(r"state=[^&]+", "state=forged", back.query)
    response = manager.get(f"{back.path}?{forged}")
    assert response.status_code == 400 and "did not come back" in response.content.decode()
    assert not Channel.objects.exists()
    # The sign-in is used up either way.
    assert manager.get(f"{back.path}?{back.query}").status_code == 404


def test_an_unsafe_server_address_is_refused_next_to_the_field(manager, settings):
    settings.RAPPORT_ALLOW_LOOPBACK_URLS = False
    response = manager.post(
        "/channels/oauth/mastodon/",
        {
            "platform": "mastodon",
            "client": ClientFactory().pk,
            "name": "M",
            "fetch_interval_minutes": "15",
            "config_base_url": "http://169.254.169.254",
            "config_mode": "mentions",
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert re.search(r'id="id_config_base_url_error" class="field-error">\S', body)
    assert 'value="http://169.254.169.254"' in body
