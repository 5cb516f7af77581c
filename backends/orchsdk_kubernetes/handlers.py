"""One handler per kind: render, apply, get, list and delete of its objects, and what was seen.

Writes are server-side apply patches with field manager ``orchsdk``. What the backend
last saw of each object is kept in an :class:`~orchsdk_kubernetes.object_cache.ObjectCache`
shared by every handler, so that an apply is one request. :class:`Handler` serves
secrets and config maps as it is; deployments, services and autoscalers add their own
verbs in :mod:`~orchsdk_kubernetes.deployments`, :class:`ServiceHandler` and
:mod:`~orchsdk_kubernetes.autoscaling`.
"""

from __future__ import annotations

import builtins
import contextlib
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from orchsdk import (
    Action,
    Comparison,
    Conflict,
    Endpoint,
    Event,
    NotFound,
    Resource,
    Secret,
)
from orchsdk.diffing import mask_secret_values
from orchsdk.errors import reads_answers
from orchsdk.retry import confirm_lost_write
from orchsdk_kubernetes.client import Answer, Client, as_object, items_of
from orchsdk_kubernetes.object_cache import (
    ABSENT,
    Group,
    Key,
    ObjectCache,
    Seen,
    autoscaler_of,
    content,
)
from orchsdk_kubernetes.parse import parse
from orchsdk_kubernetes.render import render
from orchsdk_kubernetes.reports import about
from orchsdk_kubernetes.status import endpoints_of

__all__ = ["APPLY_PATCH", "FIELD_MANAGER", "LIST_PAGE", "Context", "Handler", "ServiceHandler"]

log = logging.getLogger("orchsdk.kubernetes")

FIELD_MANAGER = "orchsdk"
APPLY_PATCH = "application/apply-patch+yaml"
LIST_PAGE = 500
"""Objects asked for when apply lists a kind in a namespace: one page, never more."""


@attrs.frozen
class Context:
    """What every handler shares: the client, the record of objects seen, and whether
    applies create missing namespaces."""

    client: Client
    seen: ObjectCache
    create_namespace: bool = False


class Handler:
    """The verbs of one kind, ``kind``, which the client calls ``resource`` (``secret``)."""

    def __init__(self, kind: type[Resource], resource: str, context: Context) -> None:
        self.kind = kind
        self.resource = resource
        self.client = context.client
        self.seen = context.seen
        self._create_namespace = context.create_namespace

    def render(self, spec: Resource, *, autoscaled: bool = False) -> dict[str, Any]:
        """The manifest of ``spec``; pure (see :func:`~orchsdk_kubernetes.render.render`)."""
        return render(spec, autoscaled=autoscaled)

    @reads_answers
    def apply(self, spec: Resource) -> Action:
        """One server-side apply, whose answer is compared with the object as last seen.

        The report compares the server's answer with what this backend last saw of the
        object (:meth:`last_seen`): a 201 is *created*; the same resourceVersion, or the
        same content (a controller's status update changes the resourceVersion alone),
        *unchanged*; anything else *updated*. An object this backend has not seen yet is
        looked for first, so an apply is one request when the object was seen (by an
        apply, a get, a list) and at most two when it was not.

        The object always ends as the manifest says (the whole manifest is sent each
        time); only the report can be stale, when another client wrote the object since
        this backend last saw it: that client's change shows as *updated* even if this
        apply changed nothing, and a change of its that this apply undid shows as
        *unchanged*, since the answer then equals the object last seen (and a
        resourceVersion cannot tell such an undo from a status update).

        An apply whose answer was lost is resolved by reading back (:meth:`landed`).
        When that fails too, the record is left as it was before this apply: the retry
        (or the next apply) compares its answer with the object before the lost try, so
        it reports what that try did rather than *unchanged*.
        """
        namespace = _namespace_of(spec)
        what = f"apply {spec.kind.lower()}/{spec.name} in {namespace}"
        return self.apply_over(spec, self.last_seen(spec.name, namespace), what)

    def apply_over(self, spec: Resource, before: Seen | None, what: str) -> Action:
        """Applies ``spec`` over the object as last seen (None: absent); what it did."""
        namespace = _namespace_of(spec)
        autoscaled = before is not None and before.autoscaler is not None
        manifest = self.manifest_over(spec, before)
        outcome = confirm_lost_write(
            lambda: self.apply_manifest(manifest, namespace, what),
            lambda: self.landed(manifest, namespace, before),
            what=what,
        )
        if isinstance(outcome, Action):
            return outcome
        answer = as_object(outcome.body, what)
        after = self.remember(namespace, answer, before)
        if (after.autoscaler is not None) != autoscaled:
            after = self.follow_autoscaler(spec, answer, after, what)
        if outcome.status == 201:
            return Action.CREATED
        if before is None:  # another client created it since this backend found it absent
            return Action.UPDATED
        return Action.UNCHANGED if before.same_content(after) else Action.UPDATED

    def manifest_over(self, spec: Resource, before: Seen | None) -> dict[str, Any]:
        """The manifest that applies ``spec`` over the object as last seen: a deployment
        handed to an autoscaler is rendered without replicas."""
        return self.render(spec, autoscaled=before is not None and before.autoscaler is not None)

    def follow_autoscaler(
        self, spec: Resource, answer: Mapping[str, Any], after: Seen, what: str
    ) -> Seen:
        """Puts an object right whose autoscaling changed under this backend; only a
        deployment can be autoscaled, so other kinds are as they are."""
        return after

    @reads_answers
    def compare(self, spec: Resource) -> Comparison:
        """The object as it is and the manifest as :meth:`apply` would send it.

        Both sides are rendered as apply sees them: a deployment handed to an autoscaler
        has no ``replicas`` on either side (apply leaves them to the autoscaler), and a
        secret's ``data`` holds the masked placeholders themselves, not their base64.
        """
        name, namespace = spec.name, _namespace_of(spec)
        what = f"compare {spec.kind.lower()}/{name} in {namespace}"
        try:
            obj: dict[str, Any] | None = self.read(name, namespace, what)[0]
        except NotFound:
            obj = None
        autoscaled = obj is not None and autoscaler_of(obj) is not None
        current = None if obj is None else parse(self.kind, obj, reveal=True)
        current, desired = mask_secret_values(current, spec)
        live = None if current is None else [self._as_compared(current, autoscaled)]
        return Comparison(live, [self._as_compared(desired, autoscaled)])

    def _as_compared(self, spec: Resource, autoscaled: bool) -> dict[str, Any]:
        """The manifest apply sends for ``spec``; a (masked) secret's values as they are."""
        manifest = self.render(spec, autoscaled=autoscaled)
        if isinstance(spec, Secret):
            manifest["data"] = dict(spec.data)
        return manifest

    @reads_answers
    def get(self, name: str, namespace: str, *, reveal: bool = False) -> Resource:
        """The spec of one object."""
        what = f"get {self.kind.kind.lower()}/{name} in {namespace}"
        obj, _ = self.read(name, namespace, what)
        return parse(self.kind, obj, reveal=reveal)

    @reads_answers
    def list(
        self, namespace: str, labels: Mapping[str, str], *, reveal: bool = False
    ) -> builtins.list[Resource]:
        """The objects that carry ``labels``; all of them seen, and, with no labels, the
        listing tells the next apply which objects of that kind are absent there."""
        selector = ",".join(f"{key}={value}" for key, value in labels.items())
        what = f"list {self.kind.kind.lower()}s in {namespace}"
        mark = self.seen.mark()
        found = self.client.request(
            self.resource, "list", namespace, label_selector=selector or None, what=what
        )
        items = sorted(items_of(found, what), key=lambda item: item["metadata"]["name"])
        seen = [(item["metadata"]["name"], self.seen.seen(item)) for item in items]
        if selector:
            self.seen.fill(self.group(namespace), seen)
        else:
            self.seen.remember_listing(self.group(namespace), seen, complete=True, mark=mark)
        return [parse(self.kind, item, reveal=reveal) for item in items]

    def delete(self, name: str, namespace: str) -> None:
        """Deletes the object, and remembers it absent; forgotten if the outcome is unknown."""
        what = f"delete {self.kind.kind.lower()}/{name} in {namespace}"
        key = self.key(namespace, name)
        try:
            self.client.send(
                self.resource, "delete", name, namespace, propagation_policy="Background", what=what
            )
        except NotFound:
            self.seen.remember(key, ABSENT)
            raise
        except BaseException:
            self.seen.forget(key)
            raise
        self.seen.remember(key, ABSENT)

    @reads_answers
    def events(self, name: str, namespace: str) -> builtins.list[Event]:
        """The Events about this object, oldest first (``kubectl describe``'s list)."""
        what = f"get {self.kind.kind.lower()}/{name} in {namespace}"
        obj = as_object(
            self.client.request(self.resource, "read", name, namespace, what=what), what
        )
        uid = obj["metadata"]["uid"]
        what = f"list events of {self.kind.kind.lower()}/{name}"
        found = self.client.request(
            "event", "list", namespace, field_selector=f"involvedObject.uid={uid}", what=what
        )
        return about(items_of(found, what), [obj])

    # -- what was seen ---------------------------------------------------------------

    def key(self, namespace: str, name: str) -> Key:
        """The object cache's key of one object of this kind."""
        return (self.kind.kind, namespace, name)

    def group(self, namespace: str) -> Group:
        """The object cache's key of a listing of this kind in ``namespace``."""
        return (self.kind.kind, namespace)

    def last_seen(self, name: str, namespace: str) -> Seen | None:
        """The object as this backend last saw it, or None if it does not exist.

        An object not seen yet is looked for with one of two reads:

        - the first time its kind is met in its namespace, a listing of that kind there.
          It is one request, as a read of the object would be (larger, but bounded to one
          page of :data:`LIST_PAGE` objects), and it tells about every other object of
          that kind there, seen or absent: applying many objects into a namespace costs
          one listing per kind, then one request per object. Applies rarely come alone
          (a manifest, a release, a migration), so the listing is the better bet.
        - once the kind was listed there but the listing is no longer complete (the
          namespace held more than a page, or an entry was evicted or forgotten), a read
          of that object alone: listing again would bring back the same page, or evict as
          much as it brings in.
        """
        key = self.key(namespace, name)
        known = self.seen.lookup(key)
        if known is None and not self.seen.listed(self.group(namespace)):
            self._list_seen(namespace)
            known = self.seen.lookup(key)
        if known is None:
            what = f"read {self.kind.kind.lower()}/{name} in {namespace}"
            try:
                known = self.read(name, namespace, what)[1]
            except NotFound:
                return None
        return None if known is ABSENT else known

    def _list_seen(self, namespace: str) -> None:
        """Lists one page of this kind in a namespace, for :meth:`last_seen`."""
        what = f"list {self.kind.kind.lower()}s in {namespace}"
        mark = self.seen.mark()
        try:
            found = self.client.request(
                self.resource, "list", namespace, limit=LIST_PAGE, what=what
            )
        except NotFound:  # no such namespace: nothing of any kind in it
            found = {"items": []}
        items = items_of(found, what)
        complete = not (found.get("metadata") or {}).get("continue")
        seen = [(item["metadata"]["name"], self.seen.seen(item)) for item in items]
        self.seen.remember_listing(self.group(namespace), seen, complete=complete, mark=mark)

    def read(self, name: str, namespace: str, what: str) -> tuple[dict[str, Any], Seen]:
        """Reads one object, and remembers it as seen (or, on NotFound, as absent)."""
        try:
            obj = as_object(
                self.client.request(self.resource, "read", name, namespace, what=what), what
            )
        except NotFound:
            self.seen.remember(self.key(namespace, name), ABSENT)
            raise
        return obj, self.remember(namespace, obj)

    @contextlib.contextmanager
    def writing(self, key: Key) -> Iterator[None]:
        """Forgets the object when the write in the block fails: it may or may not have
        acted, so the next apply reads the object afresh."""
        try:
            yield
        except BaseException:
            self.seen.forget(key)
            raise

    def remember(
        self, namespace: str, obj: Mapping[str, Any], previous: Seen | None = None
    ) -> Seen:
        """Records an object the server sent as the one last seen, and returns the record.

        ``previous``: the record of the object before; at the same resourceVersion it is
        the same object, and its record is kept rather than digested again.
        """
        version = obj["metadata"].get("resourceVersion")
        if (
            previous is not None
            and version is not None
            and str(version) == previous.resource_version
        ):
            seen = previous
        else:
            seen = self.seen.seen(obj)
        self.seen.remember(self.key(namespace, obj["metadata"]["name"]), seen)
        return seen

    # -- writes ----------------------------------------------------------------------

    def landed(
        self, manifest: dict[str, Any], namespace: str, before: Seen | None
    ) -> Action | None:
        """What an apply whose answer was lost did, or None if it cannot be told it landed.

        The object has landed when a server-side dry run of the same apply would change
        nothing in it; then the action is told from the object as last seen. The apply
        itself is idempotent, so the caller may as well retry when this says None.
        """
        name = manifest["metadata"]["name"]
        what = f"read back {self.kind.kind.lower()}/{name} in {namespace}"
        now = as_object(
            self.client.request(self.resource, "read", name, namespace, what=what), what
        )
        dry = self.client.request(
            self.resource,
            "patch",
            name,
            namespace,
            manifest,
            field_manager=FIELD_MANAGER,
            force=True,
            dry_run="All",
            _content_type=APPLY_PATCH,
            what=what,
        )
        if content(as_object(dry, what)) != content(now):
            return None
        landed = self.remember(namespace, now)
        if before is None:
            return Action.CREATED
        return Action.UNCHANGED if before.same_content(landed) else Action.UPDATED

    def apply_manifest(
        self, manifest: dict[str, Any], namespace: str, what: str, manager: str = FIELD_MANAGER
    ) -> Answer:
        """Sends one server-side apply of ``manifest`` as ``manager``; creates a missing
        namespace first when the backend was asked to."""

        def send() -> Answer:
            return self.client.send(
                self.resource,
                "patch",
                manifest["metadata"]["name"],
                namespace,
                manifest,
                field_manager=manager,
                force=True,
                _content_type=APPLY_PATCH,
                what=what,
            )

        try:
            return send()
        except NotFound:
            if not self._create_namespace or not _ensure_namespace(self.client, namespace):
                raise
            return send()


class ServiceHandler(Handler):
    """Services, and the endpoints behind them (from their EndpointSlices)."""

    @reads_answers
    def endpoints(self, name: str, namespace: str) -> builtins.list[Endpoint]:
        """The addresses behind a service."""
        what = f"get service/{name}"
        as_object(self.client.request("service", "read", name, namespace, what=what), what)
        what = f"list endpoint slices of {name}"
        slices = self.client.request(
            "endpoint_slice",
            "list",
            namespace,
            label_selector=f"kubernetes.io/service-name={name}",
            what=what,
        )
        return endpoints_of(name, namespace, items_of(slices, what))


def _ensure_namespace(client: Client, namespace: str) -> bool:
    """Creates the namespace if it is missing; False when it existed already."""
    try:
        client.request("namespace", "read", namespace, what=f"read namespace {namespace}")
        return False
    except NotFound:
        pass
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
    try:
        confirm_lost_write(
            lambda: client.request(
                "namespace", "create", body, what=f"create namespace {namespace}"
            ),
            lambda: _namespace_exists(client, namespace),
            what=f"create namespace {namespace}",
        )
    except Conflict as error:
        if error.reason != "exists":
            raise
    log.info("namespace/%s: created", namespace)
    return True


def _namespace_exists(client: Client, namespace: str) -> bool:
    client.request("namespace", "read", namespace, what=f"read namespace {namespace}")
    return True


def _namespace_of(resource: Resource) -> str:
    assert resource.namespace is not None, "the orchestrator fills namespaces in"
    return resource.namespace
