"""Which orchestrator the command talks to: ``--backend``, the environment, or a kubeconfig.

Precedence, first match wins:

1. ``--backend URL``;
2. ``ORCHSDK_BACKEND``;
3. ``--context NAME``: ``kubernetes://?context=NAME`` (a kubeconfig context means Kubernetes);
4. ``MARATHON_URL`` (as the DC/OS and Marathon tools use it: ``http(s)://host:8080``), unless
   ``KUBECONFIG`` is set too, which is ambiguous and refused;
5. ``KUBECONFIG``, or else an existing ``~/.kube/config``: ``kubernetes://``.

``--context`` applies to a Kubernetes URL from any of these (it becomes ``?context=``), and
so does ``KUBECONFIG`` (``?kubeconfig=``, unless the URL names a host or a kubeconfig).
A Marathon token comes from ``DCOS_ACS_TOKEN`` when the URL gives none (read by the
backend itself).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import attrs

__all__ = ["BadTarget", "Target", "resolve", "safe_url"]


class BadTarget(Exception):
    """No backend could be chosen from the options and the environment (a usage error)."""


@attrs.frozen
class Target:
    """A backend URL and where it came from (shown with ``-v``)."""

    url: str
    source: str

    @property
    def scheme(self) -> str:
        return urlsplit(self.url).scheme.lower()


def resolve(
    backend: str | None,
    context: str | None,
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> Target:
    """The backend to use, by the precedence in this module's docstring."""
    env = os.environ if environ is None else environ
    target = _choose(backend, context, env, home or Path.home())
    if context is not None:
        if target.scheme != "kubernetes":
            raise BadTarget(
                f"--context is a kubeconfig context, but the backend is {target.scheme}://"
            )
        target = Target(_with_query(target.url, context=context), target.source)
    if target.scheme == "kubernetes" and env.get("KUBECONFIG"):
        parts = urlsplit(target.url)
        if not parts.netloc and "kubeconfig" not in dict(parse_qsl(parts.query)):
            # as kubectl: KUBECONFIG as it is now (the client reads it once, at import)
            target = Target(_with_query(target.url, kubeconfig=env["KUBECONFIG"]), target.source)
    return target


def _choose(backend: str | None, context: str | None, env: Mapping[str, str], home: Path) -> Target:
    if backend:
        return Target(backend, "--backend")
    if env.get("ORCHSDK_BACKEND"):
        return Target(env["ORCHSDK_BACKEND"], "ORCHSDK_BACKEND")
    if context is not None:
        return Target("kubernetes://", "--context")
    marathon = env.get("MARATHON_URL")
    if marathon:
        if env.get("KUBECONFIG"):
            raise BadTarget(
                "both MARATHON_URL and KUBECONFIG are set: choose with --backend or ORCHSDK_BACKEND"
            )
        return Target(_marathon_url(marathon), "MARATHON_URL")
    if env.get("KUBECONFIG"):
        return Target("kubernetes://", "KUBECONFIG")
    if (home / ".kube" / "config").is_file():
        return Target("kubernetes://", "~/.kube/config")
    raise BadTarget(
        "no backend: give --backend URL or set ORCHSDK_BACKEND (e.g. memory://, kubernetes://, "
        "marathon+https://host:8080), or KUBECONFIG or MARATHON_URL"
    )


def _marathon_url(url: str) -> str:
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("http", "https"):
        return f"marathon+{url}"
    if scheme in ("marathon+http", "marathon+https"):
        return url
    raise BadTarget(f"MARATHON_URL must be an http(s):// URL, got {safe_url(url)}")


def _with_query(url: str, **options: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(options)
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query)}"


def safe_url(url: str) -> str:
    """The URL without credentials: no user info, and no query values (tokens hide there)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    keys = [key for key, _ in parse_qsl(parts.query, keep_blank_values=True)]
    query = "&".join(f"{key}=..." for key in keys)
    return f"{parts.scheme}://{host}{parts.path}" + (f"?{query}" if query else "")
