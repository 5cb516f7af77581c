"""Unit tests of the Kubernetes backend's reliability parts: field ownership, the guarded
rollback, and how failures are classified (did the request act? is it worth a retry?)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from orchsdk_kubernetes.client import as_object, items_of, status_error, transport_error
from orchsdk_kubernetes.fields import owned_by
from orchsdk_kubernetes.labels import REVISION_ANNOTATION
from orchsdk_kubernetes.rollback import rollback_manifest, rollback_target, rolled_back

from orchsdk import BackendUnavailable, Conflict, NotFound, OrchestratorError, UnexpectedResponse

TEMPLATE_A = {
    "metadata": {"labels": {"app": "web"}},
    "spec": {"containers": [{"name": "web", "image": "a"}]},
}
TEMPLATE_B = {
    "metadata": {"labels": {"app": "web"}},
    "spec": {"containers": [{"name": "web", "image": "b"}]},
}

MANAGED = [
    {
        "manager": "orchsdk",
        "operation": "Apply",
        "apiVersion": "apps/v1",
        "fieldsType": "FieldsV1",
        "fieldsV1": {
            "f:metadata": {"f:labels": {"f:app": {}}, "f:annotations": {"f:team": {}}},
            "f:spec": {
                "f:replicas": {},
                "f:selector": {},
                "f:strategy": {"f:rollingUpdate": {"f:maxSurge": {}}},
                "f:template": {
                    "f:spec": {
                        "f:containers": {'k:{"name":"web"}': {".": {}, "f:name": {}, "f:image": {}}}
                    }
                },
            },
        },
    },
    {
        "manager": "kube-controller-manager",
        "operation": "Update",
        "fieldsV1": {"f:metadata": {"f:annotations": {f"f:{REVISION_ANNOTATION}": {}}}},
    },
]


def deployment(template: dict[str, Any], revision: int = 2, **extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "shop",
            "uid": "u-1",
            "resourceVersion": "42",
            "labels": {"app": "web", "other": "x"},
            "annotations": {REVISION_ANNOTATION: str(revision), "team": "blue"},
            "managedFields": copy.deepcopy(MANAGED),
        },
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": copy.deepcopy(template),
            "progressDeadlineSeconds": 600,
            **extra,
        },
    }


def replica_set(template: dict[str, Any], revision: int, **annotations: str) -> dict[str, Any]:
    hashed = copy.deepcopy(template)
    hashed["metadata"]["labels"]["pod-template-hash"] = f"h{revision}"
    return {
        "metadata": {
            "name": f"web-h{revision}",
            "annotations": {REVISION_ANNOTATION: str(revision), **annotations},
        },
        "spec": {"template": hashed},
    }


# -- field ownership -----------------------------------------------------------------------


def test_owned_by_extracts_what_one_manager_applied() -> None:
    owned = owned_by(deployment(TEMPLATE_B), "orchsdk")

    assert owned == {
        "metadata": {"labels": {"app": "web"}, "annotations": {"team": "blue"}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"rollingUpdate": {"maxSurge": "25%"}},
            "template": {"spec": {"containers": [{"name": "web", "image": "b"}]}},
        },
    }


def test_owned_by_a_manager_without_an_entry_is_nothing() -> None:
    assert owned_by(deployment(TEMPLATE_B), "kubectl") == {}
    assert owned_by({"metadata": {}}, "orchsdk") == {}


def test_owned_by_follows_set_and_index_items() -> None:
    obj = {
        "metadata": {
            "managedFields": [
                {
                    "manager": "m",
                    "operation": "Apply",
                    "fieldsV1": {"f:finalizers": {'v:"a"': {}}, "f:args": {"i:1": {}}},
                }
            ]
        },
        "finalizers": ["a", "b"],
        "args": ["x", "y", "z"],
    }

    assert owned_by(obj, "m") == {"finalizers": ["a"], "args": ["y"]}


# -- rollback -------------------------------------------------------------------------------


def test_rollback_target_is_the_revision_before_the_newest() -> None:
    target = rollback_target(
        deployment(TEMPLATE_B),
        [replica_set(TEMPLATE_A, 1, team="red"), replica_set(TEMPLATE_B, 2)],
        None,
    )

    assert target is not None
    assert target.revision == 1
    assert target.template == TEMPLATE_A
    assert target.annotations == {"team": "red"}


def test_rollback_target_refuses_a_history_that_disagrees_with_the_deployment() -> None:
    """The ReplicaSets were listed after the deployment changed (or before its controller
    caught up): deciding from them could roll back to the wrong place."""
    with pytest.raises(Conflict) as raised:
        rollback_target(
            deployment(TEMPLATE_A, revision=1),
            [replica_set(TEMPLATE_A, 1), replica_set(TEMPLATE_B, 2)],
            None,
        )

    assert raised.value.reason == "changed"


def test_rollback_target_without_history_is_not_found() -> None:
    with pytest.raises(NotFound):
        rollback_target(deployment(TEMPLATE_B), [replica_set(TEMPLATE_B, 1)], None)


def test_rollback_manifest_keeps_what_orchsdk_owns_and_swaps_the_template() -> None:
    current = deployment(TEMPLATE_B)
    target = rollback_target(current, [replica_set(TEMPLATE_A, 1), replica_set(TEMPLATE_B, 2)], 1)
    assert target is not None

    manifest = rollback_manifest(current, target, "orchsdk")

    assert manifest["metadata"] == {
        "labels": {"app": "web"},
        "name": "web",
        "namespace": "shop",
        "resourceVersion": "42",  # the precondition: a changed deployment gives 409
    }
    assert manifest["spec"]["replicas"] == 3
    assert manifest["spec"]["strategy"] == {"rollingUpdate": {"maxSurge": "25%"}}
    assert manifest["spec"]["template"] == TEMPLATE_A
    assert "progressDeadlineSeconds" not in manifest["spec"]  # not orchsdk's field
    assert (manifest["apiVersion"], manifest["kind"]) == ("apps/v1", "Deployment")


def test_rolled_back_tells_a_landed_rollback_apart() -> None:
    target = rollback_target(
        deployment(TEMPLATE_B), [replica_set(TEMPLATE_A, 1), replica_set(TEMPLATE_B, 2)], None
    )
    assert target is not None

    assert rolled_back(deployment(TEMPLATE_A, revision=3), target)
    assert not rolled_back(deployment(TEMPLATE_B), target)


# -- classifying failures ----------------------------------------------------------------------


@pytest.mark.parametrize(("code", "acted"), [(429, False), (503, False), (500, None), (504, None)])
def test_transient_answers_say_whether_the_request_may_have_acted(
    code: int, acted: bool | None
) -> None:
    error = status_error({"code": code, "reason": "x", "message": "m"}, "write", retry_after=1.0)

    assert isinstance(error, BackendUnavailable)
    assert error.acted is acted
    assert error.retry_after == 1.0


def test_a_resource_version_conflict_is_changed_but_a_field_ownership_conflict_is_not() -> None:
    changed = status_error({"code": 409, "reason": "Conflict", "message": "modified"}, "w")
    owned = status_error(
        {
            "code": 409,
            "reason": "Conflict",
            "message": "Apply failed with 1 conflict",
            "details": {"causes": [{"reason": "FieldManagerConflict", "field": ".spec"}]},
        },
        "w",
    )

    assert isinstance(changed, Conflict)
    assert changed.reason == "changed"
    assert isinstance(owned, Conflict)
    assert owned.reason == "other"


@pytest.mark.parametrize(
    "body",
    [
        {"code": "not a number", "message": "m"},
        {"code": 422, "details": ["not", "a", "map"]},
        {"code": 422, "details": {"causes": "nope"}},
        {"code": 409, "reason": "Conflict", "details": {"causes": 5}},
    ],
)
def test_a_malformed_status_body_still_maps_to_a_typed_error(body: dict[str, Any]) -> None:
    assert isinstance(status_error(body, "read"), OrchestratorError)


def test_a_tls_failure_reported_by_the_client_says_how_to_fix_it() -> None:
    error = status_error({"code": 0, "reason": "SSLError\n[SSL: CERTIFICATE_VERIFY_FAILED]"}, "get")

    assert not isinstance(error, BackendUnavailable)
    assert "TLS verification failed" in str(error)
    assert "verify=false" in str(error)


def test_transport_errors_say_whether_anything_was_sent() -> None:
    from urllib3.exceptions import NewConnectionError, ProtocolError, ReadTimeoutError, SSLError

    refused = transport_error(NewConnectionError(None, "refused"), "get")  # type: ignore[arg-type]
    dropped = transport_error(ProtocolError("Connection aborted."), "apply")
    late = transport_error(ReadTimeoutError(None, "/", "read timed out"), "apply")  # type: ignore[arg-type]
    tls = transport_error(SSLError("bad certificate"), "get")

    assert isinstance(refused, BackendUnavailable)
    assert refused.acted is False
    assert isinstance(dropped, BackendUnavailable)
    assert dropped.acted is None
    assert isinstance(late, BackendUnavailable)
    assert late.acted is None
    assert not isinstance(tls, BackendUnavailable)


@pytest.mark.parametrize("document", [None, [], "x", {}, {"metadata": []}])
def test_an_object_answer_must_be_an_object_with_metadata(document: Any) -> None:
    with pytest.raises(UnexpectedResponse):
        as_object(document, "get")


@pytest.mark.parametrize(
    "document", [None, [], {"items": "x"}, {"items": [1]}, {"metadata": [], "items": []}]
)
def test_a_list_answer_must_be_a_list_of_objects(document: Any) -> None:
    with pytest.raises(UnexpectedResponse):
        items_of(document, "list")


def test_a_list_answer_with_null_items_is_empty() -> None:
    assert items_of({"metadata": {}, "items": None}, "list") == []


class _EndingStreams:
    """A client whose watch streams end at once, with no event: the reconnects back off."""

    timeout = (1.0, 1.0)

    def __init__(self) -> None:
        self.watches = 0

    def request(self, resource: str, verb: str, *args: Any, what: str, **kwargs: Any) -> Any:
        return {"metadata": {"resourceVersion": "7"}, "items": [{"metadata": {"name": "web"}}]}

    def watch(self, resource: str, verb: str, *args: Any, what: str, **kwargs: Any) -> Any:
        self.watches += 1
        assert kwargs["resource_version"] == "7"
        yield from ()


def test_a_watch_that_keeps_ending_reconnects_with_a_growing_back_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from types import SimpleNamespace

    from orchsdk_kubernetes.events import RECONNECT_FIRST, RECONNECT_MAX, watch_object

    delays: list[float] = []
    clock = [0.0]

    def sleep(delay: float) -> None:
        delays.append(delay)
        clock[0] += delay

    fake_time = SimpleNamespace(sleep=sleep, monotonic=lambda: clock[0])
    monkeypatch.setattr("orchsdk.waiting.time", fake_time)
    monkeypatch.setattr("orchsdk_kubernetes.events.time", fake_time)
    client = _EndingStreams()

    seen = list(watch_object(client, "deployment", "web", "shop", timeout=5.0))  # type: ignore[arg-type]

    assert seen == [{"metadata": {"name": "web"}}]  # the listing; the streams sent nothing
    assert delays[:4] == [RECONNECT_FIRST, RECONNECT_FIRST * 2, RECONNECT_FIRST * 4, 0.8]
    assert max(delays) <= RECONNECT_MAX
    assert client.watches == len(delays)
