"""The Secret kind handler: a secret is one DC/OS secret store path per key.

Marathon never calls the store: the backend writes a secret's paths before the app that
refers to them (the core applies secrets first). Values travel only in request and
response bodies (:mod:`orchsdk_marathon.secret_store`). Without a store, or on a
Marathon without the ``secrets`` feature, the :class:`~orchsdk_marathon.kinds.Absent`
handler answers instead.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from typing import Any

from orchsdk import REDACTED, Action, Comparison, NotFound, Secret
from orchsdk.diffing import mask_secret_values
from orchsdk_marathon.kinds import Absent, not_found
from orchsdk_marathon.memory import BoundedMemory
from orchsdk_marathon.render import render_secret
from orchsdk_marathon.secret_store import SecretStore

__all__ = ["Secrets"]

Json = dict[str, Any]


class Secrets:
    """Secrets in the DC/OS secret store (see the module)."""

    def __init__(self, store: SecretStore, enabled: Callable[[], bool], absent: Absent) -> None:
        self._store = store
        self._enabled = enabled
        self._absent = absent
        self._known: BoundedMemory[tuple[str, str], frozenset[str]] = BoundedMemory()
        """(namespace, secret) -> the keys this backend last wrote or listed there."""

    def __repr__(self) -> str:
        return f"<Secrets {self._store!r}>"

    def render(self, secret: Secret) -> builtins.list[Json]:
        if not self._enabled():
            return self._absent.render(secret)
        return render_secret(secret)

    def compare(self, secret: Secret) -> Comparison | None:
        """The secret's keys under its store path, values masked, so that a diff names
        each key (``~ data.password``, ``+ data.extra``) as on every backend, rather than
        the positions of a list of store paths."""
        if not self._enabled():
            return None
        namespace = str(secret.namespace)
        try:
            current: Secret | None = self.get(secret.name, namespace, reveal=True)
        except NotFound:
            current = None
        before, after = mask_secret_values(current, secret)
        assert isinstance(after, Secret)
        live = None if before is None else [_by_key(before)]
        return Comparison(live, [_by_key(after)])

    def apply(self, secret: Secret) -> Action:
        """Writes the keys whose value differs and removes the keys the spec dropped.

        The DC/OS store keeps one path per key and has no multi-key read, so each key is
        read on its own (absent: a new key). The secret's keys are listed first, one more
        request, only when the store may hold keys the spec has not: when this backend
        does not know the secret's key set, or knows one with keys the spec lacks. The
        known set is the one this backend last wrote or listed; it is forgotten while an
        apply runs, so one that fails part way makes the next apply list again. A key
        that another client added since this backend wrote the secret is therefore left
        in place (until a backend that does not know the secret applies it).

        CREATED when no key existed, UPDATED when a key was written or removed,
        UNCHANGED otherwise, as the store answered these requests.
        """
        if not self._enabled():
            return self._absent.apply(secret)
        namespace = str(secret.namespace)
        wanted = frozenset(secret.data)
        known = self._known.pop((namespace, secret.name))
        present = None
        if known is None or not known <= wanted:
            present = frozenset(self._listed_keys(namespace, secret.name))
        existed, changed = self._write_keys(secret, namespace, present)
        stale = frozenset() if present is None else present - wanted
        for key in sorted(stale):
            changed = self._store.remove(namespace, secret.name, key) or changed
        self._known.put((namespace, secret.name), wanted)
        if not existed and not present:
            return Action.CREATED
        return Action.UPDATED if changed else Action.UNCHANGED

    def get(self, name: str, namespace: str, *, reveal: bool) -> Secret:
        if not self._enabled():
            return self._absent.get(name, namespace, reveal=reveal)  # type: ignore[return-value]
        keys = self._secret_keys(namespace, name)
        if not keys:
            raise not_found("Secret", name, namespace)
        return self._secret(namespace, name, keys, reveal)

    def list(self, namespace: str, *, reveal: bool) -> builtins.list[Secret]:
        """Every secret of a namespace: its paths ``<secret>/<key>``, grouped by secret."""
        if not self._enabled():
            return []
        grouped: dict[str, builtins.list[str]] = {}
        for entry in self._store.list(namespace):
            secret, _, key = entry.partition("/")
            if secret and key and "/" not in key:
                grouped.setdefault(secret, []).append(key)
        return [self._secret(namespace, name, keys, reveal) for name, keys in grouped.items()]

    def delete(self, name: str, namespace: str) -> None:
        if not self._enabled():
            self._absent.delete(name, namespace)
            return
        keys = self._secret_keys(namespace, name)
        if not keys:
            raise not_found("Secret", name, namespace)
        for key in keys:
            self._store.remove(namespace, name, key)

    def _write_keys(
        self, secret: Secret, namespace: str, present: frozenset[str] | None
    ) -> tuple[bool, bool]:
        """Writes each key whose value differs; whether any key existed, and any was written.

        ``present``: the keys just listed (a key not among them is new, not read), or
        None when each key must be read to know.
        """
        existed = changed = False
        for key, value in secret.data.items():
            current = None
            if present is None or key in present:
                current = self._store.find(namespace, secret.name, key)
            existed = existed or current is not None
            if current != value:
                self._store.write(value, namespace, secret.name, key)
                changed = True
        return existed, changed

    def _secret_keys(self, namespace: str, name: str) -> builtins.list[str]:
        """The secret's keys, listed (one request), and remembered as its known key set."""
        keys = self._listed_keys(namespace, name)
        self._remember(namespace, name, keys)
        return keys

    def _listed_keys(self, namespace: str, name: str) -> builtins.list[str]:
        """The secret's keys as the store lists them now (one request)."""
        return [entry for entry in self._store.list(namespace, name) if entry and "/" not in entry]

    def _remember(self, namespace: str, name: str, keys: Iterable[str]) -> None:
        self._known.put((namespace, name), frozenset(keys))

    def _secret(self, namespace: str, name: str, keys: builtins.list[str], reveal: bool) -> Secret:
        if reveal:
            data = {key: self._store.read(namespace, name, key) for key in keys}
        else:
            data = dict.fromkeys(keys, REDACTED)
        return Secret(name, namespace=namespace, data=data)


def _by_key(secret: Secret) -> Json:
    """A secret as its store path and its keys' values: how a diff of it reads."""
    return {
        "store": "default",
        "path": f"{secret.namespace}/{secret.name}",
        "data": dict(secret.data),
    }
