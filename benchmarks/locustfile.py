"""Agency staff working the inbox and the reports (``benchmarks/load.py`` runs it headless).

Environment: ``LOAD_AGENCY_HOST`` (the agency's host name), ``LOAD_EMAIL``, ``LOAD_PASSWORD``,
``LOAD_CLIENTS`` and ``LOAD_MENTIONS`` (comma-separated ids), ``LOAD_CHANNELS`` (ids the one
``Fetcher`` asks to fetch, all at once), ``LOAD_THINK`` (``5-15``: seconds between pages).
Production cookies are ``Secure``; behind the TLS proxy production expects, the requests say
``X-Forwarded-Proto: https`` and keep the cookies plain.
"""

from __future__ import annotations

import os
import random
import re

from gevent.pool import Pool
from locust import HttpUser, between, task

HOST = os.environ.get("LOAD_AGENCY_HOST", "load-1.localhost")
HEADERS = {"Host": HOST, "X-Forwarded-Proto": "https"}
CLIENTS = [int(pk) for pk in os.environ.get("LOAD_CLIENTS", "").split(",") if pk]
MENTIONS = [int(pk) for pk in os.environ.get("LOAD_MENTIONS", "").split(",") if pk]
CHANNELS = [int(pk) for pk in os.environ.get("LOAD_CHANNELS", "").split(",") if pk]
THINK = [float(s) for s in os.environ.get("LOAD_THINK", "5-15").split("-")]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Staff(HttpUser):
    """A responder: mostly the inbox and conversations, now and then a report."""

    wait_time = between(*THINK)  # reading what is on the page

    def on_start(self) -> None:
        page = self.client.get("/accounts/login/", headers=HEADERS, name="sign-in page")
        token = CSRF.search(page.text).group(1)
        self._plain_cookies()
        self.client.post(
            "/accounts/login/",
            data={"username": os.environ["LOAD_EMAIL"], "password": os.environ["LOAD_PASSWORD"],
                  "csrfmiddlewaretoken": token},
            headers={**HEADERS, "Referer": f"https://{HOST}/accounts/login/"},
            name="sign in", allow_redirects=False,
        )  # fmt: skip
        self._plain_cookies()

    def _plain_cookies(self) -> None:
        """Keep the Secure cookies for the plain-HTTP loopback connection."""
        for cookie in list(self.client.cookies):
            cookie.secure = False

    def get(self, path: str, name: str) -> None:
        with self.client.get(path, headers=HEADERS, name=name, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code} for {path}")

    @task(6)
    def inbox(self) -> None:
        self.get("/inbox/", "inbox")

    @task(3)
    def client_inbox(self) -> None:
        self.get(f"/inbox/?client={random.choice(CLIENTS)}", "inbox of a client")

    @task(4)
    def conversation(self) -> None:
        self.get(f"/inbox/{random.choice(MENTIONS)}/", "conversation")

    @task(2)
    def report(self) -> None:
        self.get(f"/reports/clients/{random.choice(CLIENTS)}/", "client report")

    @task(1)
    def overview(self) -> None:
        self.get("/reports/", "agency overview")


class Fetcher(HttpUser):
    """Someone pressing "Fetch now" on every channel at once (the API), once."""

    fixed_count = 1
    wait_time = between(3600, 3600)

    def on_start(self) -> None:
        signed_in = self.client.post(
            "/api/v1/auth/token/", headers=HEADERS, name="api token",
            json={"username": os.environ["LOAD_EMAIL"], "password": os.environ["LOAD_PASSWORD"]},
        )  # fmt: skip
        headers = {**HEADERS, "Authorization": f"Token {signed_in.json()['token']}"}

        def fetch(channel: int) -> None:
            self.client.post(f"/api/v1/channels/{channel}/fetch/", headers=headers,
                             name="fetch now (500 channels at once)")  # fmt: skip

        Pool(8).map(fetch, CHANNELS)

    @task
    def idle(self) -> None:
        pass
