"""The app labels this backend owns, and how it encodes what Marathon has no field for.

A Marathon app has one free-form place for metadata: its ``labels``. The backend keeps
there what the unified spec says but Marathon cannot (which words of ``cmd`` are the
command, the quantities as written, counts of a rollout, annotations, the ``native``
patches, the services an app belongs to). Every such key starts with ``orchsdk.``; the
keys use only ``[-A-Za-z0-9_.]`` where Marathon's label selectors need to find them.

marathon-lb's ``HAPROXY_GROUP`` and ``HAPROXY_<n>_VHOST`` are owned by Services on
apps that carry one; users' own labels may not use them or the ``orchsdk.`` prefix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "ANNOTATION",
    "BOOKKEEPING",
    "COMMAND",
    "HAPROXY_GROUP",
    "HEALTH_PORT",
    "NATIVE",
    "PREFIX",
    "RESOURCES",
    "ROLLOUT",
    "SERVICE",
    "SERVICES",
    "VHOST",
    "VIP",
    "dumps",
    "is_bookkeeping",
    "is_reserved",
    "loads",
    "plain",
]

PREFIX = "orchsdk."
"""Every label the backend writes for its own bookkeeping starts with this."""

COMMAND = "orchsdk.command"
"""How many words of ``cmd`` (after ``exec``) are ``Deployment.command``; the rest are args."""
RESOURCES = "orchsdk.resources"
"""``Deployment.resources`` as written (``{"cpu": "250m", "memory": null, "gpu": 1}``)."""
HEALTH_PORT = "orchsdk.health-port"
"""Whether ``HealthCheck.port`` named the port by ``name`` or by ``number``."""
ROLLOUT = "orchsdk.rollout"
"""``Deployment.rollout`` as written, with the replica count its fractions were made for."""
NATIVE = "orchsdk.native"
"""``Resource.native`` (every backend's patch), so that a read gives it back."""
ANNOTATION = "orchsdk.annotation."
"""Prefix of one label per annotation: ``orchsdk.annotation.<key>``."""
SERVICE = "orchsdk.service."
"""Prefix of one label per Service the app belongs to: ``orchsdk.service.<name>`` = its spec."""
SERVICES = "orchsdk.services"
"""The names of those services, comma-separated: lets a label selector find service members."""

BOOKKEEPING = frozenset({COMMAND, RESOURCES, HEALTH_PORT, ROLLOUT, NATIVE, SERVICES})
"""The labels that say how to read the app back, not what it runs (with the service
records ``orchsdk.service.*``). The renderer writes the hints among them (all but the
services') only when the app's fields alone would read back differently, so an app
written by another tool and read back gets none."""

HAPROXY_GROUP = "HAPROXY_GROUP"
VHOST = re.compile(r"HAPROXY_(\d+)_VHOST")
VIP = re.compile(r"VIP_(\d+)")


def is_reserved(key: str) -> bool:
    """Whether a user's label key would collide with the labels this backend owns."""
    return key.startswith(PREFIX) or key == HAPROXY_GROUP or VHOST.fullmatch(key) is not None


def is_bookkeeping(key: str) -> bool:
    """Whether a label is the backend's bookkeeping (:data:`BOOKKEEPING`, a service record):
    its value is the renderer's to write, never a user's to keep. Annotations are not:
    ``orchsdk.annotation.<key>`` holds the user's data."""
    return key in BOOKKEEPING or key.startswith(SERVICE)


def dumps(value: Any) -> str:
    """Compact, deterministic JSON for a label value (equal inputs give equal labels)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def loads(text: str) -> Any:
    """A label value written by :func:`dumps`; :class:`ValueError` if it is not JSON."""
    return json.loads(text)


def plain(value: Any) -> Any:
    """A frozen spec value (read-only mappings, tuples) as plain JSON-ready dicts and lists."""
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [plain(item) for item in value]
    return value
