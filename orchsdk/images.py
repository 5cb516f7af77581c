"""Container image references, checked against the OCI distribution reference grammar.

``[registry[:port]/]path[:tag][@algorithm:hex]``, as Docker, containerd and both
orchestrators parse it: the path is lowercase components (``a-z0-9`` with ``.``, ``_``,
``__`` or dashes between), a tag is at most 128 word characters, dots and dashes, a
digest names its algorithm and at least 32 hex digits, and the name (registry and path)
is at most 255 characters. So ``nginx:1.27``, ``registry.example.com:5000/team/app@sha256:…``
pass, and ``NGINX:1``, ``$(id)`` or a NUL byte do not.
"""

from __future__ import annotations

import re

__all__ = ["MAX_NAME_LENGTH", "image_problem"]

MAX_NAME_LENGTH = 255
"""The longest name (registry and path, without tag and digest) a registry accepts."""

_ALPHANUMERIC = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|-+)"
_PATH_COMPONENT = rf"{_ALPHANUMERIC}(?:{_SEPARATOR}{_ALPHANUMERIC})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"

_PATH = re.compile(rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*", re.ASCII)
_DOMAIN_PART = re.compile(_DOMAIN, re.ASCII)
_TAG_PART = re.compile(_TAG, re.ASCII)
_DIGEST_PART = re.compile(_DIGEST, re.ASCII)


def _split_domain(name: str) -> tuple[str | None, str]:
    """The registry part of a name, if it has one, and the path; as Docker tells them
    apart: the first component is a registry when it holds a dot or a colon, or is
    ``localhost``, or has an upper-case letter (no path component may)."""
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost" or first.lower() != first):
        return first, rest
    return None, name


def image_problem(reference: str) -> str | None:
    """What is wrong with an image reference, in a few words, or None when it is valid."""
    if not reference:
        return "is empty"
    if not reference.isascii() or not reference.isprintable():
        return "may hold only printable ASCII characters"
    rest, at, digest = reference.partition("@")
    if at and not _DIGEST_PART.fullmatch(digest):
        return "has a digest that is not <algorithm>:<at least 32 hex digits>"
    name, tag = rest, ""
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:  # a colon after the last slash starts the tag (one before is a port)
        name, tag = rest[:colon], rest[colon + 1 :]
        if not _TAG_PART.fullmatch(tag):
            return "has a tag that is not 1 to 128 letters, digits, '_', '.' or '-'"
    if len(name) > MAX_NAME_LENGTH:
        return f"has a name longer than {MAX_NAME_LENGTH} characters"
    domain, path = _split_domain(name)
    if domain is not None and not _DOMAIN_PART.fullmatch(domain):
        return f"has a registry {domain!r} that is not a host name with an optional port"
    if not _PATH.fullmatch(path):
        if path.lower() != path and _PATH.fullmatch(path.lower()):
            return "must be lower case in its repository path"
        return (
            "has a repository path that is not lower-case letters and digits, "
            "separated by '/', '.', '_' or '-'"
        )
    return None
