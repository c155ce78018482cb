"""The SSRF guard: only public http(s) hosts; loopback only when the setting allows it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from apps.channels import ssrf
from apps.channels.ssrf import UnresolvableHost, UnsafeURL, check_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names resolved to the given addresses (no DNS); other names resolve as usual."""
    names: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list:
        if host in names:
            if not names[host]:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (a, port),
                )
                for a in names[host]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(ssrf.socket, "getaddrinfo", getaddrinfo)
    return names


def test_public_address_is_allowed() -> None:
    check_url("https://1.1.1.1/feed.xml")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/feed",
        "http://127.3.4.5/",
        "http://[::1]/",
        "http://localhost/",
        "http://shop.localhost/",
        "http://2130706433/",  # 127.0.0.1 as one decimal number
        "http://[::ffff:127.0.0.1]/",
    ],
)
def test_loopback_is_refused_when_setting_is_off(loopback_settings, url: str) -> None:
    loopback_settings.RAPPORT_ALLOW_LOOPBACK_URLS = False
    with pytest.raises(UnsafeURL, match="loopback"):
        check_url(url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000/feed", "http://[::1]/", "http://localhost/"]
)
def test_loopback_is_allowed_when_setting_is_on(url: str) -> None:
    check_url(url)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://10.0.0.5/", "private"),
        ("http://192.168.1.20:8080/", "private"),
        ("http://172.16.9.1/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://[fd00:ec2::254]/", "metadata"),
        ("http://169.254.10.1/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://0.0.0.0:8000/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://100.64.0.1/", "not a public address"),
        ("http://[::ffff:10.0.0.1]/", "private"),
        ("http://[::ffff:169.254.169.254]/", "metadata"),
        ("http://[64:ff9b::a00:1]/", "private"),
        ("http://[2002:c0a8:101::1]/", "private"),
    ],
)
def test_internal_addresses_are_refused_even_with_loopback_allowed(url: str, reason: str) -> None:
    with pytest.raises(UnsafeURL, match=reason):
        check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://files.example/feed.xml",
        "gopher://127.0.0.1:70/",
        "javascript:alert(1)",
        "//no-scheme.example/feed",
    ],
)
def test_non_http_schemes_are_refused(url: str) -> None:
    with pytest.raises(UnsafeURL, match="scheme"):
        check_url(url)


def test_url_without_host_is_refused() -> None:
    with pytest.raises(UnsafeURL, match="no host"):
        check_url("http:///feed")


def test_invalid_port_is_refused() -> None:
    with pytest.raises(UnsafeURL, match="invalid URL"):
        check_url("http://1.1.1.1:99999/")


def test_host_name_resolving_to_private_address_is_refused(resolver) -> None:
    resolver["intranet.northwind.example"] = ["10.1.2.3"]
    with pytest.raises(UnsafeURL, match=r"intranet.northwind.example.*10\.1\.2\.3.*private"):
        check_url("https://intranet.northwind.example/admin")


def test_host_name_is_refused_if_any_address_is_private(resolver) -> None:
    resolver["mixed.example"] = ["1.1.1.1", "192.168.0.10"]
    with pytest.raises(UnsafeURL, match=r"192\.168\.0\.10"):
        check_url("http://mixed.example/")


def test_host_name_resolving_to_public_addresses_is_allowed(resolver) -> None:
    resolver["blog.example"] = ["1.1.1.1", "2606:4700:4700::1111"]
    check_url("https://blog.example/feed")


def test_unresolvable_host_raises_unresolvable_host(resolver) -> None:
    resolver["nowhere.example"] = []
    with pytest.raises(UnresolvableHost, match="does not resolve"):
        check_url("http://nowhere.example/")


def test_guard_imports_and_refuses_loopback_without_django_settings() -> None:
    code = (
        "from apps.channels.ssrf import check_url, UnsafeURL\n"
        "try:\n    check_url('http://127.0.0.1/')\n"
        "except UnsafeURL as e:\n    print('refused', e)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("refused")
