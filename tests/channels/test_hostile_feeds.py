"""Feeds written to hurt: entity expansion, a 50 MB body, and markup in every field. Each is
handled without a crash, a memory blow-up or unescaped output, and the channel says what went
wrong."""

from __future__ import annotations

import resource

from apps.channels.models import Channel
from apps.channels.services import channel_fetch
from apps.listening.models import Mention
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel
from tests.channels.fakeplatform import Canned
from tests.conftest import PASSWORD, host_client

RSS = {"Content-Type": "application/rss+xml"}
LAUGHS = "\n".join(
    f' <!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
)  # each level ten times the one before: a billion "lol"s at level 9
BOMB = f"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol0 "lol">
{LAUGHS}
]>
<rss version="2.0"><channel><title>Brew &lol9;</title>
<item><title>Hello &lol9;</title><link>https://blog.example/1</link><guid>1</guid>
<description>&lol9;</description></item></channel></rss>"""
SCRIPT = "<script>alert(1)</script>"
HOSTILE = f"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>{SCRIPT.replace("<", "&lt;")}</title>
<item><title>=HYPERLINK("http://evil") &lt;img src=x onerror=alert(2)&gt;</title>
<link>https://blog.example/2</link><guid>2</guid>
<author>x@example.com (&lt;script&gt;alert(3)&lt;/script&gt;)</author>
<description>&lt;script&gt;alert(4)&lt;/script&gt;</description>
</item></channel></rss>"""


def feed(platform_server, body, **headers):
    platform_server.route("GET", "/feed.xml", Canned(200, body, {**RSS, **headers}))
    return make_channel(platform="rss", config={"url": f"{platform_server.url}/feed.xml"})


def test_a_billion_laughs_is_never_expanded(in_agency_a, platform_server):
    channel = feed(platform_server, BOMB)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run = channel_fetch(channel_id=channel.pk)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB
    channel.refresh_from_db()
    stored = Mention.objects.filter(channel=channel)
    # Either refused with a reason, or stored with the entity left unexpanded: never a billion.
    assert run.error_message or stored.exists()
    assert all(len(m.text) < 1000 and "lollollol" not in m.text for m in stored)


def test_a_50_mb_body_is_cut_off_with_a_clear_error(in_agency_a, platform_server):
    huge = b'<?xml version="1.0"?><rss version="2.0"><channel>' + b" " * (50 * 1024 * 1024)
    channel = feed(platform_server, huge)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run = channel_fetch(channel_id=channel.pk)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 40_000  # KiB
    assert "MB" in run.error_message and not Mention.objects.filter(channel=channel).exists()
    channel.refresh_from_db()
    assert channel.health in (Channel.Health.DEGRADED, Channel.Health.FAILING)
    assert "MB" in channel.last_error


def test_markup_in_every_field_is_stored_as_text_and_shown_escaped(
    in_agency_a, agency_a, platform_server
):
    channel = feed(platform_server, HOSTILE)
    run = channel_fetch(channel_id=channel.pk)
    assert not run.error_message
    mention = Mention.objects.select_related("author").get(channel=channel)
    # Stored as the text it is (feedparser drops <script> elements from HTML bodies).
    assert "<img src=x onerror=alert(2)>" in mention.text and "alert(4)" not in mention.text
    assert mention.author.handle == "<script>alert(3)</script>"

    owner = UserFactory(role="owner")
    owner.set_password(PASSWORD)
    owner.save()
    browser = host_client(agency_a)
    assert browser.login(username=owner.email, password=PASSWORD)
    for path in ("/listening/mentions/", f"/reports/clients/{channel.client_id}/"):
        html = browser.get(path).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, path
    page = browser.get("/listening/mentions/").content.decode()
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in page
    csv = b"".join(
        browser.get(f"/reports/clients/{channel.client_id}/mentions.csv").streaming_content
    ).decode()
    assert "'=HYPERLINK" in csv  # a spreadsheet shows it as text instead of running it
