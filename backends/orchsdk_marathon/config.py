"""How to reach a Marathon: a strict, frozen settings class parsed from the URL and options.

A connection URL looks like
``marathon+https://user:pass@host1:8080,host2:8080/path?secret_store=https://master/secrets/v1``;
:func:`parse_url` turns it (plus keyword options, which win) into :class:`Settings` with
:func:`orchsdk.settings.settings_from`, so an unknown option or a malformed value is an
:class:`orchsdk.SettingsError`, as on every backend. Credentials are kept out of
``repr`` so that a settings object can be logged safely.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

import attrs

from orchsdk import SettingsError
from orchsdk.answers import MAX_ANSWER_BYTES
from orchsdk.settings import (
    NOT_AN_OPTION,
    byte_count,
    flag,
    hidden,
    optional_text,
    seconds,
    settings_from,
    verify_option,
)

__all__ = ["OfflineSettings", "Settings", "parse_url"]

Containerizer = Literal["docker", "mesos"]

_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def _secret_store(value: Any) -> str | None:
    """The secret store's base URL without its trailing slash; empty means none."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https"):
        raise ValueError(f"expected an http(s) URL, got {value!r}")
    return value.rstrip("/")


def _namespace(value: Any) -> str:
    if not isinstance(value, str) or _NAMESPACE.fullmatch(value) is None or len(value) > 63:
        raise ValueError(f"{value!r} is not a DNS-1123 label")
    return value


def _containerizer(value: Any) -> str:
    if value not in ("docker", "mesos"):
        raise ValueError(f"expected 'docker' or 'mesos', got {value!r}")
    return str(value)


def _lock_seconds(value: Any) -> float:
    """``lock_timeout``: seconds, zero allowed (do not wait for a locked app at all)."""
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            if float(value) == 0:
                return 0.0
        except ValueError:
            pass
    return seconds(value)


@attrs.frozen
class Settings:
    """Everything the backend needs to talk to one Marathon (and its secret store).

    ``servers`` are base URLs (``https://host:8080`` or ``https://cluster/service/marathon``),
    tried in order for requests that are safe to repeat. ``token`` is a DC/OS ACS token
    (sent as ``Authorization: token=...``); ``username``/``password`` are basic auth.
    ``connect_timeout`` bounds each connection and ``read_timeout`` each answer, whole
    (Marathon answers a write only once it has stored the new version, which can take a
    while on a busy cluster); ``max_answer_bytes`` caps an answer, and each event of the
    event stream (64 MiB; ``"16Mi"`` works too).
    """

    servers: tuple[str, ...] = attrs.field(metadata={NOT_AN_OPTION: True})
    username: str | None = attrs.field(default=None, repr=hidden, converter=optional_text)
    password: str | None = attrs.field(default=None, repr=hidden, converter=optional_text)
    token: str | None = attrs.field(default=None, repr=hidden, converter=optional_text)
    verify: bool | str = attrs.field(default=True, converter=verify_option)
    secret_store: str | None = attrs.field(default=None, converter=_secret_store)
    connect_timeout: float = attrs.field(default=5.0, converter=seconds)
    read_timeout: float = attrs.field(default=30.0, converter=seconds)
    namespace: str = attrs.field(default="default", converter=_namespace)
    force: bool = attrs.field(default=False, converter=flag)
    containerizer: Containerizer = attrs.field(default="docker", converter=_containerizer)
    lock_timeout: float = attrs.field(default=120.0, converter=_lock_seconds)
    max_answer_bytes: int = attrs.field(default=MAX_ANSWER_BYTES, converter=byte_count)

    def __attrs_post_init__(self) -> None:
        if not self.servers:
            raise ValueError(
                "a Marathon URL needs at least one host: 'marathon+http://HOST:8080' or "
                "'marathon+https://HOST1,HOST2/PATH'"
            )
        for server in self.servers:
            if urlsplit(server).scheme not in ("http", "https") or not urlsplit(server).netloc:
                raise ValueError(f"not a Marathon base URL: {server!r}")
        if self.token is not None and (self.username is not None or self.password is not None):
            raise ValueError("give either a token or a username and password, not both")
        if (self.username is None) != (self.password is None):
            raise ValueError("basic auth needs both a username and a password")

    @property
    def timeout(self) -> tuple[float, float]:
        """``(connect_timeout, read_timeout)``, as ``requests`` takes them."""
        return (self.connect_timeout, self.read_timeout)

    @property
    def auth_kind(self) -> str:
        """``"token"``, ``"basic"`` or ``"none"``: what may be said about the credentials."""
        if self.token is not None:
            return "token"
        return "basic" if self.username is not None else "none"

    @property
    def secrets(self) -> tuple[str, ...]:
        """The credential strings, so that messages can be scrubbed of them."""
        return tuple(value for value in (self.token, self.password) if value)


@attrs.frozen
class OfflineSettings:
    """What :meth:`MarathonBackend.offline <orchsdk_marathon.MarathonBackend.offline>`
    assumes of a Marathon it renders for: its containerizer, and whether it has the DC/OS
    secret store (and Marathon's ``secrets`` feature)."""

    containerizer: Containerizer = attrs.field(default="docker", converter=_containerizer)
    secrets: bool = attrs.field(default=True, converter=flag)


def parse_url(
    url: str, options: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> Settings:
    """Settings from a ``marathon+http(s)://`` URL, keyword options and the environment.

    Keyword options win over the URL's query; ``DCOS_ACS_TOKEN`` is the token when
    neither gives one (and no basic auth is given). Raises :class:`~orchsdk.SettingsError`.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("marathon+http", "marathon+https"):
        raise SettingsError(
            f"a Marathon URL starts with marathon+http:// or marathon+https://: {url!r}"
        )
    given: dict[str, Any] = dict(parse_qsl(parts.query, keep_blank_values=True))
    given.update(options)
    userinfo, _, hosts = parts.netloc.rpartition("@")
    if userinfo:
        user, _, secret = userinfo.partition(":")
        given.setdefault("username", unquote(user))
        given.setdefault("password", unquote(secret))
    base = scheme.removeprefix("marathon+")
    path = parts.path.rstrip("/")
    servers = tuple(f"{base}://{host.strip()}{path}" for host in hosts.split(",") if host.strip())
    env = os.environ if environ is None else environ
    if "token" not in given and "username" not in given and env.get("DCOS_ACS_TOKEN"):
        given["token"] = env["DCOS_ACS_TOKEN"]
    return settings_from(Settings, given, backend="marathon", fixed={"servers": servers})
