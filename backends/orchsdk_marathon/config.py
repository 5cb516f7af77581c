"""How to reach a Marathon: servers, credentials, TLS, timeouts and the backend's options.

A connection URL looks like
``marathon+https://user:pass@host1:8080,host2:8080/path?secret_store=https://master/secrets/v1``;
:func:`parse_url` turns it (plus keyword options, which win) into :class:`Settings`.
Credentials are kept out of ``repr`` so that a settings object can be logged safely.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

import attrs

__all__ = ["DEFAULT_TIMEOUT", "OPTIONS", "Settings", "parse_timeout", "parse_url", "parse_verify"]

DEFAULT_TIMEOUT = (5.0, 30.0)
"""Seconds to connect, and to wait for each response: Marathon answers writes only once
it has stored the new version, which can take a while on a busy cluster."""

OPTIONS = (
    "username",
    "password",
    "token",
    "verify",
    "secret_store",
    "timeout",
    "namespace",
    "force",
    "containerizer",
    "lock_timeout",
)
"""Every option a URL query or :func:`orchsdk.connect` keyword may carry."""

Containerizer = Literal["docker", "mesos"]

_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _hidden(value: object) -> str:
    return "None" if value is None else "'***'"


@attrs.frozen
class Settings:
    """Everything the backend needs to talk to one Marathon (and its secret store).

    ``servers`` are base URLs (``https://host:8080`` or ``https://cluster/service/marathon``),
    tried in order for requests that are safe to repeat. ``token`` is a DC/OS ACS token
    (sent as ``Authorization: token=...``); ``username``/``password`` are basic auth.
    """

    servers: tuple[str, ...]
    username: str | None = attrs.field(default=None, repr=_hidden)
    password: str | None = attrs.field(default=None, repr=_hidden)
    token: str | None = attrs.field(default=None, repr=_hidden)
    verify: bool | str = True
    secret_store: str | None = None
    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    namespace: str = "default"
    force: bool = False
    containerizer: Containerizer = "docker"
    lock_timeout: float = 120.0

    def __attrs_post_init__(self) -> None:
        if not self.servers:
            raise ValueError("a Marathon URL needs at least one host")
        for server in self.servers:
            if urlsplit(server).scheme not in ("http", "https") or not urlsplit(server).netloc:
                raise ValueError(f"not a Marathon base URL: {server!r}")
        if self.token is not None and (self.username is not None or self.password is not None):
            raise ValueError("give either a token or a username and password, not both")
        if (self.username is None) != (self.password is None):
            raise ValueError("basic auth needs both a username and a password")
        if _NAMESPACE.fullmatch(self.namespace) is None or len(self.namespace) > 63:
            raise ValueError(f"namespace {self.namespace!r} is not a DNS-1123 label")
        if self.containerizer not in ("docker", "mesos"):
            raise ValueError(
                f"containerizer must be 'docker' or 'mesos', got {self.containerizer!r}"
            )
        if self.secret_store is not None:
            scheme = urlsplit(self.secret_store).scheme
            if scheme not in ("http", "https"):
                raise ValueError(f"secret_store must be an http(s) URL, got {self.secret_store!r}")
        if self.lock_timeout < 0:
            raise ValueError("lock_timeout must be >= 0")

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


def parse_verify(value: Any) -> bool | str:
    """``verify`` from a URL or keyword: a boolean, or the path of a CA bundle."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, str) or not value:
        raise ValueError(f"verify must be true, false or a CA bundle path, got {value!r}")
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return value


def parse_timeout(value: Any) -> tuple[float, float]:
    """``timeout``: one number for both, or ``(connect, read)`` / ``"connect,read"``."""
    if isinstance(value, str):
        parts = [part.strip() for part in value.split(",")]
        value = tuple(float(part) for part in parts) if len(parts) == 2 else float(parts[0])
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        pair = (float(value), float(value))
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        pair = (float(value[0]), float(value[1]))
    else:
        raise ValueError(f"timeout must be seconds or (connect, read) seconds, got {value!r}")
    if min(pair) <= 0:
        raise ValueError(f"timeouts must be more than zero, got {value!r}")
    return pair


def _flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _TRUE + _FALSE:
        return value.lower() in _TRUE
    raise ValueError(f"{name} must be true or false, got {value!r}")


def parse_url(
    url: str, options: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> Settings:
    """Settings from a ``marathon+http(s)://`` URL, keyword options and the environment.

    Keyword options win over the URL's query; ``DCOS_ACS_TOKEN`` is the token when
    neither gives one (and no basic auth is given).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("marathon+http", "marathon+https"):
        raise ValueError(
            f"a Marathon URL starts with marathon+http:// or marathon+https://: {url!r}"
        )
    settings: dict[str, Any] = dict(parse_qsl(parts.query, keep_blank_values=True))
    settings.update(options)
    unknown = sorted(set(settings) - set(OPTIONS))
    if unknown:
        raise ValueError(f"unknown Marathon option(s) {unknown}; known: {', '.join(OPTIONS)}")
    userinfo, _, hosts = parts.netloc.rpartition("@")
    if userinfo:
        user, _, secret = userinfo.partition(":")
        settings.setdefault("username", unquote(user))
        settings.setdefault("password", unquote(secret))
    base = scheme.removeprefix("marathon+")
    path = parts.path.rstrip("/")
    servers = tuple(f"{base}://{host.strip()}{path}" for host in hosts.split(",") if host.strip())
    env = os.environ if environ is None else environ
    if "token" not in settings and "username" not in settings and env.get("DCOS_ACS_TOKEN"):
        settings["token"] = env["DCOS_ACS_TOKEN"]
    if "verify" in settings:
        settings["verify"] = parse_verify(settings["verify"])
    if "timeout" in settings:
        settings["timeout"] = parse_timeout(settings["timeout"])
    if "force" in settings:
        settings["force"] = _flag("force", settings["force"])
    if "lock_timeout" in settings:
        settings["lock_timeout"] = float(settings["lock_timeout"])
    if settings.get("secret_store") == "":
        settings["secret_store"] = None
    if isinstance(settings.get("secret_store"), str):
        settings["secret_store"] = settings["secret_store"].rstrip("/")
    return Settings(servers=servers, **settings)
