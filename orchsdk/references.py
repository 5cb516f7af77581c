"""References a batch makes to what it does not carry: checked on the cluster before any write.

A deployment that names a secret, a config map or a key that does not exist is accepted
by every orchestrator and then never starts (Kubernetes leaves its pods in
``CreateContainerConfigError``; Marathon fails its tasks). So before an apply sends
anything, each such reference must be to an object of the same apply, or to one the
cluster has in the deployment's namespace. Each object outside the batch is read once;
one the credentials may not read is taken on trust, as the orchestrator would take it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from orchsdk.errors import FieldError, NotFound, PermissionDenied, ValidationError
from orchsdk.specs import ConfigMap, Deployment, Resource, Secret
from orchsdk.validation import subject
from orchsdk.values import ConfigRef, SecretRef

__all__ = ["Reader", "check_references"]

Reader = Callable[[type[Resource], str, str], Resource]
"""Reads one resource (kind, name, namespace); raises :class:`~orchsdk.NotFound`."""

Owner = tuple[type[Resource], str, str]


def _references(deployment: Deployment) -> Iterator[tuple[str, SecretRef | ConfigRef]]:
    for name, value in deployment.env.items():
        if isinstance(value, (SecretRef, ConfigRef)):
            yield f"env.{name}", value
    for index, mount in enumerate(deployment.files):
        yield f"files[{index}]", mount.source


def _owner(ref: SecretRef | ConfigRef, namespace: str) -> Owner:
    if isinstance(ref, SecretRef):
        return (Secret, ref.secret, namespace)
    return (ConfigMap, ref.config, namespace)


def check_references(batch: Iterable[Resource], read: Reader) -> None:
    """Raises :class:`~orchsdk.ValidationError` for the first deployment of ``batch``
    whose secret or config map references name an object, or a key, that is neither in
    ``batch`` nor found by ``read``; every bad reference of it is named by its field."""
    resources = list(batch)
    keys: dict[Owner, frozenset[str] | None] = {
        (type(item), item.name, item.namespace or ""): frozenset(item.data)
        for item in resources
        if isinstance(item, (Secret, ConfigMap))
    }
    for deployment in resources:
        if not isinstance(deployment, Deployment) or deployment.namespace is None:
            continue
        errors: list[FieldError] = []
        for path, ref in _references(deployment):
            owner = _owner(ref, deployment.namespace)
            if owner not in keys:
                keys[owner] = _keys_on_cluster(read, owner)
            found = keys[owner]
            kind, name, namespace = owner
            if found is _UNREADABLE:
                continue
            if found is None:
                errors.append(
                    FieldError(
                        path,
                        f"names {kind.kind} {name!r}, which is neither in this apply nor in "
                        f"namespace {namespace!r}",
                    )
                )
            elif ref.key not in found:
                errors.append(FieldError(path, f"{kind.kind} {name!r} has no key {ref.key!r}"))
        if errors:
            raise ValidationError(subject(deployment), errors)


_UNREADABLE: frozenset[str] = frozenset({"<unreadable>"})


def _keys_on_cluster(read: Reader, owner: Owner) -> frozenset[str] | None:
    kind, name, namespace = owner
    try:
        found = read(kind, name, namespace)
    except NotFound:
        return None
    except PermissionDenied:
        return _UNREADABLE
    assert isinstance(found, (Secret, ConfigMap))
    return frozenset(found.data)
