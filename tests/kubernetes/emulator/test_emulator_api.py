"""The emulator's REST API as the real ``kubernetes`` client sees it: objects, verbs, errors."""

from __future__ import annotations

import base64
import copy
import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import kubernetes_validate
import pytest
from kube_emulator_helpers import Cluster, body, deployment, error_body, read, wait_for
from kubernetes import client
from orchsdk_kubernetes.testing.validation import SchemaValidator


def _config_map(name: str, labels: dict[str, str] | None = None) -> dict[str, object]:
    return {"metadata": {"name": name, "labels": labels or {}}, "data": {"k": "v"}}


# -- discovery -------------------------------------------------------------------------------


def test_discovery_names_the_served_groups_versions_and_resources(cluster: Cluster) -> None:
    version = body(client.VersionApi(cluster.api).get_code(_preload_content=False))
    assert version["major"] == "1"
    assert version["gitVersion"].startswith("v1.")
    core = body(client.CoreApi(cluster.api).get_api_versions(_preload_content=False))
    assert core["kind"] == "APIVersions"
    assert core["versions"] == ["v1"]
    groups = body(client.ApisApi(cluster.api).get_api_versions(_preload_content=False))
    names = {group["name"]: group["preferredVersion"]["version"] for group in groups["groups"]}
    assert names == {"apps": "v1", "autoscaling": "v2", "discovery.k8s.io": "v1"}
    apps = body(cluster.apps.get_api_resources(_preload_content=False))
    resources = {resource["name"]: resource for resource in apps["resources"]}
    assert resources["deployments"]["namespaced"] is True
    assert resources["deployments"]["shortNames"] == ["deploy"]
    assert resources["deployments/scale"]["kind"] == "Scale"
    assert resources["deployments/scale"]["group"] == "autoscaling"
    assert "deployments/status" in resources
    v1 = body(cluster.core.get_api_resources(_preload_content=False))
    assert {"namespaces", "pods", "services", "secrets", "configmaps"} <= {
        resource["name"] for resource in v1["resources"]
    }
    assert next(r for r in v1["resources"] if r["name"] == "namespaces")["namespaced"] is False


# -- create, get, list -----------------------------------------------------------------------


def test_create_returns_the_object_with_server_fields_and_defaults(
    cluster: Cluster, ns: str
) -> None:
    response = cluster.apps.create_namespaced_deployment(ns, deployment(), _preload_content=False)
    assert response.status == 201
    created = body(response)
    metadata = created["metadata"]
    assert metadata["namespace"] == ns
    assert len(metadata["uid"]) == 36
    assert metadata["creationTimestamp"].endswith("Z")
    assert isinstance(metadata["resourceVersion"], str)
    assert metadata["generation"] == 1
    assert metadata["managedFields"][0]["manager"] == "OpenAPI-Generator"
    assert metadata["managedFields"][0]["operation"] == "Update"
    spec = created["spec"]
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
    }
    assert spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600
    container = spec["template"]["spec"]["containers"][0]
    assert container["ports"][0]["protocol"] == "TCP"
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert spec["template"]["spec"]["restartPolicy"] == "Always"
    assert "status" not in created
    again = cluster.deployment(ns, "web")
    assert again["kind"] == "Deployment"
    assert again["apiVersion"] == "apps/v1"
    assert again["metadata"]["uid"] == metadata["uid"]
    assert int(again["metadata"]["resourceVersion"]) >= int(metadata["resourceVersion"])


def test_resource_versions_increase_across_the_whole_cluster(cluster: Cluster, ns: str) -> None:
    first = body(
        cluster.core.create_namespaced_config_map(ns, _config_map("a"), _preload_content=False)
    )
    second = body(
        cluster.core.create_namespaced_secret(
            ns, {"metadata": {"name": "b"}}, _preload_content=False
        )
    )
    assert int(second["metadata"]["resourceVersion"]) > int(first["metadata"]["resourceVersion"])


def test_create_with_a_taken_name_is_409_already_exists(cluster: Cluster, ns: str) -> None:
    cluster.apps.create_namespaced_deployment(ns, deployment(), _preload_content=False)
    with pytest.raises(client.ApiException) as raised:
        cluster.apps.create_namespaced_deployment(ns, deployment(), _preload_content=False)
    assert raised.value.status == 409
    assert error_body(raised) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'deployments.apps "web" already exists',
        "reason": "AlreadyExists",
        "details": {"name": "web", "group": "apps", "kind": "deployments"},
        "code": 409,
    }


def test_get_of_a_missing_object_is_404_not_found(cluster: Cluster, ns: str) -> None:
    with pytest.raises(client.ApiException) as raised:
        cluster.core.read_namespaced_secret("nope", ns, _preload_content=False)
    assert raised.value.status == 404
    status = error_body(raised)
    assert status["reason"] == "NotFound"
    assert status["message"] == 'secrets "nope" not found'
    assert status["details"] == {"name": "nope", "kind": "secrets"}


def test_create_in_a_missing_namespace_is_404_namespace_not_found(cluster: Cluster) -> None:
    with pytest.raises(client.ApiException) as raised:
        cluster.apps.create_namespaced_deployment("ghost", deployment(), _preload_content=False)
    assert raised.value.status == 404
    status = error_body(raised)
    assert status["message"] == 'namespaces "ghost" not found'
    assert status["details"] == {"name": "ghost", "kind": "namespaces"}


def test_list_filters_by_label_and_field_selectors(cluster: Cluster, ns: str) -> None:
    for name, labels in [
        ("a", {"app": "web", "tier": "fe"}),
        ("b", {"app": "web", "tier": "be"}),
        ("c", {"app": "db"}),
        ("d", {}),
    ]:
        cluster.core.create_namespaced_config_map(
            ns, _config_map(name, labels), _preload_content=False
        )

    def names(selector: str | None = None, fields: str | None = None) -> list[str]:
        response = cluster.core.list_namespaced_config_map(
            ns, label_selector=selector, field_selector=fields, _preload_content=False
        )
        return [item["metadata"]["name"] for item in body(response)["items"]]

    assert names() == ["a", "b", "c", "d"]
    assert names("app=web") == ["a", "b"]
    assert names("app==web,tier=fe") == ["a"]
    assert names("app!=web") == ["c", "d"]
    assert names("tier in (fe,be)") == ["a", "b"]
    assert names("app notin (web)") == ["c", "d"]
    assert names("tier") == ["a", "b"]
    assert names("!tier") == ["c", "d"]
    assert names("app=web,!tier") == []
    assert names(fields="metadata.name=c") == ["c"]
    assert names(fields="metadata.name!=c", selector="app") == ["a", "b"]
    assert names(fields=f"metadata.namespace={ns}") == ["a", "b", "c", "d"]
    with pytest.raises(client.ApiException) as raised:
        names(fields="spec.nope=1")
    assert raised.value.status == 400
    assert error_body(raised)["message"] == "field label not supported: spec.nope"


def test_list_across_namespaces_with_resource_version_and_no_item_kinds(
    cluster: Cluster,
) -> None:
    first, second = cluster.namespace(), cluster.namespace()
    for namespace in (first, second):
        cluster.core.create_namespaced_config_map(
            namespace, _config_map("same", {"mark": namespace}), _preload_content=False
        )
    listed = body(
        cluster.core.list_config_map_for_all_namespaces(
            label_selector=f"mark in ({first},{second})", _preload_content=False
        )
    )
    assert listed["kind"] == "ConfigMapList"
    assert listed["apiVersion"] == "v1"
    assert int(listed["metadata"]["resourceVersion"]) > 0
    assert sorted(item["metadata"]["namespace"] for item in listed["items"]) == sorted(
        [first, second]
    )
    assert all("kind" not in item and "apiVersion" not in item for item in listed["items"])


def test_list_pages_with_limit_and_continue(cluster: Cluster, ns: str) -> None:
    for name in "abcde":
        cluster.core.create_namespaced_config_map(ns, _config_map(name), _preload_content=False)
    page = body(cluster.core.list_namespaced_config_map(ns, limit=2, _preload_content=False))
    assert [item["metadata"]["name"] for item in page["items"]] == ["a", "b"]
    assert page["metadata"]["remainingItemCount"] == 3
    rest = body(
        cluster.core.list_namespaced_config_map(
            ns, limit=10, _continue=page["metadata"]["continue"], _preload_content=False
        )
    )
    assert [item["metadata"]["name"] for item in rest["items"]] == ["c", "d", "e"]
    assert "continue" not in rest["metadata"]


def test_generate_name_and_dry_run(cluster: Cluster, ns: str) -> None:
    made = body(
        cluster.core.create_namespaced_config_map(
            ns, {"metadata": {"generateName": "cfg-"}}, _preload_content=False
        )
    )
    assert made["metadata"]["name"].startswith("cfg-")
    assert len(made["metadata"]["name"]) == len("cfg-") + 5
    dry = body(
        cluster.core.create_namespaced_config_map(
            ns, _config_map("dry"), dry_run="All", _preload_content=False
        )
    )
    assert dry["metadata"]["name"] == "dry"
    with pytest.raises(client.ApiException) as raised:
        cluster.core.read_namespaced_config_map("dry", ns, _preload_content=False)
    assert raised.value.status == 404


# -- replace and generation ---------------------------------------------------------------------


def test_replace_with_a_stale_resource_version_is_409_conflict(cluster: Cluster, ns: str) -> None:
    created = body(
        cluster.core.create_namespaced_config_map(ns, _config_map("c"), _preload_content=False)
    )
    fresh = copy.deepcopy(created)
    fresh["data"] = {"k": "new"}
    replaced = body(
        cluster.core.replace_namespaced_config_map("c", ns, fresh, _preload_content=False)
    )
    assert replaced["data"] == {"k": "new"}
    assert replaced["metadata"]["resourceVersion"] != created["metadata"]["resourceVersion"]
    stale = copy.deepcopy(created)
    stale["data"] = {"k": "lost update"}
    with pytest.raises(client.ApiException) as raised:
        cluster.core.replace_namespaced_config_map("c", ns, stale, _preload_content=False)
    assert raised.value.status == 409
    status = error_body(raised)
    assert status["reason"] == "Conflict"
    assert status["message"] == (
        'Operation cannot be fulfilled on configmaps "c": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    assert status["details"] == {"name": "c", "kind": "configmaps"}


def test_generation_counts_spec_changes_only(manual: Cluster, mns: str) -> None:
    manual.apps.create_namespaced_deployment(mns, deployment(), _preload_content=False)
    current = manual.deployment(mns, "web")
    assert current["metadata"]["generation"] == 1
    assert current["status"]["observedGeneration"] == 1
    labelled = copy.deepcopy(current)
    labelled["metadata"]["labels"]["extra"] = "yes"
    labelled["status"] = {"replicas": 99}
    after = body(
        manual.apps.replace_namespaced_deployment("web", mns, labelled, _preload_content=False)
    )
    assert after["metadata"]["generation"] == 1
    assert after["status"]["replicas"] != 99
    after["spec"]["replicas"] = 3
    bumped = body(
        manual.apps.replace_namespaced_deployment("web", mns, after, _preload_content=False)
    )
    assert bumped["metadata"]["generation"] == 2
    assert manual.deployment(mns, "web")["status"]["observedGeneration"] == 2


def test_an_unchanged_replace_keeps_the_resource_version(cluster: Cluster, ns: str) -> None:
    created = body(
        cluster.core.create_namespaced_config_map(ns, _config_map("c"), _preload_content=False)
    )
    same = body(
        cluster.core.replace_namespaced_config_map("c", ns, created, _preload_content=False)
    )
    assert same["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


# -- server-side apply ---------------------------------------------------------------------------


def test_apply_creates_then_an_identical_apply_changes_nothing(manual: Cluster, mns: str) -> None:
    cluster, ns = manual, mns  # no controller clock: nothing else writes between the two reads
    created = cluster.apply(ns, deployment())
    assert created["metadata"]["generation"] == 1
    entry = created["metadata"]["managedFields"][0]
    assert (entry["manager"], entry["operation"], entry["fieldsType"]) == (
        "orchsdk",
        "Apply",
        "FieldsV1",
    )
    assert "f:replicas" in entry["fieldsV1"]["f:spec"]
    assert 'k:{"name":"web"}' in entry["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]
    before = cluster.deployment(ns, "web")
    again = cluster.apply(ns, deployment())
    assert again["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert again["metadata"]["generation"] == 1


def test_apply_needs_a_field_manager_and_force_is_only_for_apply(cluster: Cluster, ns: str) -> None:
    with pytest.raises(client.ApiException) as raised:
        cluster.apps.patch_namespaced_deployment(
            "web",
            ns,
            deployment(),
            _content_type="application/apply-patch+yaml",
            _preload_content=False,
        )
    assert raised.value.status == 422
    status = error_body(raised)
    assert status["message"] == (
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: '
        "is required for apply patch"
    )
    assert status["details"]["causes"] == [
        {
            "reason": "FieldValueRequired",
            "message": "Required value: is required for apply patch",
            "field": "fieldManager",
        }
    ]
    cluster.apply(ns, deployment())
    with pytest.raises(client.ApiException) as raised:
        cluster.apps.patch_namespaced_deployment(
            "web",
            ns,
            {"spec": {"replicas": 3}},
            force=False,
            _content_type="application/merge-patch+json",
            _preload_content=False,
        )
    assert raised.value.status == 422
    assert error_body(raised)["details"]["causes"][0]["field"] == "force"


def test_apply_leaves_replicas_set_by_another_manager_through_scale(
    cluster: Cluster, ns: str
) -> None:
    cluster.apply(ns, deployment(replicas=2))
    cluster.apps.patch_namespaced_deployment_scale(
        "web", ns, {"spec": {"replicas": 5}}, field_manager="autoscaler", _preload_content=False
    )
    without_replicas = deployment(image="nginx:1.28")
    del without_replicas["spec"]["replicas"]
    applied = cluster.apply(ns, without_replicas)
    assert applied["spec"]["replicas"] == 5
    assert applied["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"
    owners = {
        (entry["manager"], entry.get("subresource", "")): entry["fieldsV1"]
        for entry in applied["metadata"]["managedFields"]
    }
    assert owners[("autoscaler", "scale")] == {"f:spec": {"f:replicas": {}}}
    assert "f:replicas" not in owners[("orchsdk", "")]["f:spec"]


def test_apply_removes_fields_the_manager_stopped_applying(cluster: Cluster, ns: str) -> None:
    first = deployment()
    first["metadata"]["labels"]["team"] = "a"
    first["spec"]["template"]["spec"]["containers"][0]["env"] = [
        {"name": "A", "value": "1"},
        {"name": "B", "value": "2"},
    ]
    cluster.apply(ns, first)
    cluster.apps.patch_namespaced_deployment(
        "web",
        ns,
        {"metadata": {"labels": {"owner": "ops"}}},
        field_manager="ops",
        _preload_content=False,
    )
    second = deployment()
    second["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "A", "value": "1"}]
    applied = cluster.apply(ns, second)
    assert applied["metadata"]["labels"] == {"app": "web", "owner": "ops"}
    assert applied["spec"]["template"]["spec"]["containers"][0]["env"] == [
        {"name": "A", "value": "1"}
    ]


def test_apply_conflicts_with_another_managers_field_unless_forced(
    cluster: Cluster, ns: str
) -> None:
    cluster.apply(ns, deployment(replicas=2), manager="first")
    with pytest.raises(client.ApiException) as raised:
        cluster.apply(ns, deployment(replicas=4), manager="second", force=False)
    assert raised.value.status == 409
    status = error_body(raised)
    assert status["reason"] == "Conflict"
    assert (
        status["message"] == 'Apply failed with 1 conflict: conflict with "first": .spec.replicas'
    )
    assert status["details"]["causes"] == [
        {
            "reason": "FieldManagerConflict",
            "message": 'conflict with "first"',
            "field": ".spec.replicas",
        }
    ]
    same_value = cluster.apply(ns, deployment(replicas=2), manager="second", force=False)
    assert same_value["spec"]["replicas"] == 2
    forced = cluster.apply(ns, deployment(replicas=4), manager="second", force=True)
    assert forced["spec"]["replicas"] == 4


def test_apply_of_a_secret_turns_string_data_into_data(cluster: Cluster, ns: str) -> None:
    document = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db"},
        "stringData": {"password": "s3cr3t"},
    }
    first = body(
        cluster.core.patch_namespaced_secret(
            "db",
            ns,
            document,
            field_manager="orchsdk",
            force=True,
            _content_type="application/apply-patch+yaml",
            _preload_content=False,
        )
    )
    assert first["data"] == {"password": base64.b64encode(b"s3cr3t").decode()}
    assert "stringData" not in first
    again = body(
        cluster.core.patch_namespaced_secret(
            "db",
            ns,
            document,
            field_manager="orchsdk",
            force=True,
            _content_type="application/apply-patch+yaml",
            _preload_content=False,
        )
    )
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]


# -- other patch types ---------------------------------------------------------------------------


def test_strategic_merge_patch_merges_containers_by_name(cluster: Cluster, ns: str) -> None:
    two = deployment()
    two["spec"]["template"]["spec"]["containers"].append({"name": "sidecar", "image": "busybox:1"})
    cluster.apps.create_namespaced_deployment(ns, two, _preload_content=False)
    patch = {
        "spec": {"template": {"spec": {"containers": [{"name": "sidecar", "image": "busybox:2"}]}}}
    }
    patched = body(
        cluster.apps.patch_namespaced_deployment("web", ns, patch, _preload_content=False)
    )
    containers = patched["spec"]["template"]["spec"]["containers"]
    assert [(c["name"], c["image"]) for c in containers] == [
        ("web", "nginx:1.27"),
        ("sidecar", "busybox:2"),
    ]
    assert containers[0]["ports"][0]["containerPort"] == 8080
    delete = {
        "spec": {"template": {"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}}}
    }
    patched = body(
        cluster.apps.patch_namespaced_deployment("web", ns, delete, _preload_content=False)
    )
    assert [c["name"] for c in patched["spec"]["template"]["spec"]["containers"]] == ["web"]


def test_merge_patch_replaces_lists_and_null_deletes(cluster: Cluster, ns: str) -> None:
    cluster.apps.create_namespaced_deployment(ns, deployment(), _preload_content=False)
    patch = {
        "metadata": {"labels": {"app": None, "new": "x"}},
        "spec": {"template": {"spec": {"containers": [{"name": "only", "image": "busybox:1"}]}}},
    }
    patched = body(
        cluster.apps.patch_namespaced_deployment(
            "web", ns, patch, _content_type="application/merge-patch+json", _preload_content=False
        )
    )
    assert patched["metadata"]["labels"] == {"new": "x"}
    assert [c["name"] for c in patched["spec"]["template"]["spec"]["containers"]] == ["only"]


def test_json_patch_replaces_the_template_and_annotations_as_rollback_does(
    cluster: Cluster, ns: str
) -> None:
    cluster.apps.create_namespaced_deployment(ns, deployment(), _preload_content=False)
    current = cluster.deployment(ns, "web")
    template = copy.deepcopy(current["spec"]["template"])
    template["spec"]["containers"][0]["image"] = "nginx:1.20"
    annotations = {**current["metadata"]["annotations"], "note": "rolled back"}
    patched = body(
        cluster.apps.patch_namespaced_deployment(
            "web",
            ns,
            [
                {"op": "replace", "path": "/spec/template", "value": template},
                {"op": "replace", "path": "/metadata/annotations", "value": annotations},
            ],
            _preload_content=False,
        )
    )
    assert patched["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.20"
    assert patched["metadata"]["annotations"]["note"] == "rolled back"
    assert patched["metadata"]["generation"] == 2
    with pytest.raises(client.ApiException) as raised:
        cluster.apps.patch_namespaced_deployment(
            "web",
            ns,
            [{"op": "test", "path": "/spec/replicas", "value": 7}],
            _preload_content=False,
        )
    assert raised.value.status == 422
    assert error_body(raised)["reason"] == "Invalid"


def test_an_unknown_patch_type_is_415(cluster: Cluster, ns: str) -> None:
    cluster.core.create_namespaced_config_map(ns, _config_map("c"), _preload_content=False)
    request = urllib.request.Request(
        f"{cluster.emulator.api_url}/api/v1/namespaces/{ns}/configmaps/c",
        data=b'{"data": {}}',
        method="PATCH",
        headers={"Content-Type": "text/plain"},
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=5)
    assert raised.value.code == 415
    assert json.loads(raised.value.read())["reason"] == "UnsupportedMediaType"


# -- delete --------------------------------------------------------------------------------------


def test_deleting_a_deployment_cascades_to_its_replica_sets_and_pods(
    cluster: Cluster, ns: str
) -> None:
    created = body(
        cluster.apps.create_namespaced_deployment(ns, deployment(), _preload_content=False)
    )
    assert cluster.replica_sets(ns)
    assert cluster.pods(ns)
    answer = body(cluster.apps.delete_namespaced_deployment("web", ns, _preload_content=False))
    assert answer == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {
            "name": "web",
            "group": "apps",
            "kind": "deployments",
            "uid": created["metadata"]["uid"],
        },
    }
    assert cluster.replica_sets(ns) == []
    assert all(pod["metadata"].get("deletionTimestamp") for pod in cluster.pods(ns))
    wait_for(lambda: cluster.pods(ns) == [])


def test_orphan_propagation_keeps_the_replica_sets(cluster: Cluster, ns: str) -> None:
    cluster.apps.create_namespaced_deployment(ns, deployment(), _preload_content=False)
    cluster.apps.delete_namespaced_deployment(
        "web", ns, propagation_policy="Orphan", _preload_content=False
    )
    (orphan,) = cluster.replica_sets(ns)
    assert "ownerReferences" not in orphan["metadata"]


def test_deleting_a_service_returns_it(cluster: Cluster, ns: str) -> None:
    service = {
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
    }
    cluster.core.create_namespaced_service(ns, service, _preload_content=False)
    answer = body(cluster.core.delete_namespaced_service("web", ns, _preload_content=False))
    assert answer["kind"] == "Service"
    assert answer["metadata"]["name"] == "web"


def test_deleting_a_namespace_removes_what_it_holds(cluster: Cluster) -> None:
    namespace = cluster.namespace()
    cluster.apps.create_namespaced_deployment(namespace, deployment(), _preload_content=False)
    answer = body(cluster.core.delete_namespace(namespace, _preload_content=False))
    assert answer["kind"] == "Namespace"
    assert answer["status"]["phase"] == "Terminating"
    with pytest.raises(client.ApiException) as raised:
        cluster.core.read_namespace(namespace, _preload_content=False)
    assert raised.value.status == 404
    assert cluster.emulator.list("pods", namespace) == []
    assert cluster.emulator.list("replicasets", namespace) == []


# -- kinds ---------------------------------------------------------------------------------------


def test_secret_string_data_is_stored_as_base64_data_and_never_returned(
    cluster: Cluster, ns: str
) -> None:
    secret = {
        "metadata": {"name": "db"},
        "data": {"user": base64.b64encode(b"admin").decode()},
        "stringData": {"password": "s3cr3t", "user": "root"},
    }
    created = body(cluster.core.create_namespaced_secret(ns, secret, _preload_content=False))
    assert created["type"] == "Opaque"
    assert "stringData" not in created
    decoded = {key: base64.b64decode(value).decode() for key, value in created["data"].items()}
    assert decoded == {"user": "root", "password": "s3cr3t"}
    read = body(cluster.core.read_namespaced_secret("db", ns, _preload_content=False))
    assert read["data"] == created["data"]
    assert "stringData" not in read


def test_secret_data_that_is_not_base64_is_400(cluster: Cluster, ns: str) -> None:
    with pytest.raises(client.ApiException) as raised:
        cluster.core.create_namespaced_secret(
            ns, {"metadata": {"name": "bad"}, "data": {"k": "not base64!"}}, _preload_content=False
        )
    assert raised.value.status == 400
    assert "illegal base64 data at input byte" in error_body(raised)["message"]


def test_services_get_cluster_ips_node_ports_and_load_balancer_ingress(
    cluster: Cluster, ns: str
) -> None:
    service = {
        "metadata": {"name": "web"},
        "spec": {"type": "LoadBalancer", "selector": {"app": "web"}, "ports": [{"port": 80}]},
    }
    created = body(cluster.core.create_namespaced_service(ns, service, _preload_content=False))
    spec = created["spec"]
    assert spec["clusterIP"].startswith("10.96.")
    assert spec["clusterIPs"] == [spec["clusterIP"]]
    port = spec["ports"][0]
    assert (port["protocol"], port["targetPort"]) == ("TCP", 80)
    assert 30000 <= port["nodePort"] <= 32767
    read = body(cluster.core.read_namespaced_service("web", ns, _preload_content=False))
    assert read["status"]["loadBalancer"]["ingress"][0]["ip"]
    internal = {
        "metadata": {"name": "db"},
        "spec": {"selector": {"app": "db"}, "ports": [{"port": 5432}]},
    }
    plain = body(cluster.core.create_namespaced_service(ns, internal, _preload_content=False))
    assert plain["spec"]["type"] == "ClusterIP"
    assert plain["spec"]["clusterIP"] != spec["clusterIP"]
    assert "nodePort" not in plain["spec"]["ports"][0]
    assert plain["status"] == {"loadBalancer": {}}


# -- validation ----------------------------------------------------------------------------------


def test_a_schema_violation_is_422_invalid_naming_the_field(cluster: Cluster, ns: str) -> None:
    typo = deployment()
    typo["spec"]["replica"] = 3
    with pytest.raises(client.ApiException) as raised:
        cluster.apps.patch_namespaced_deployment(
            "web",
            ns,
            typo,
            field_manager="orchsdk",
            _content_type="application/apply-patch+yaml",
            _preload_content=False,
        )
    assert raised.value.status == 422
    status = error_body(raised)
    assert status["reason"] == "Invalid"
    assert status["details"]["kind"] == "Deployment"
    assert status["details"]["group"] == "apps"
    assert [cause["field"] for cause in status["details"]["causes"]] == ["spec.replica"]
    assert status["message"].startswith('Deployment.apps "web" is invalid: spec.replica')
    wrong_type = deployment()
    wrong_type["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "8080"
    with pytest.raises(client.ApiException) as raised:
        cluster.apply(ns, wrong_type)
    causes = error_body(raised)["details"]["causes"]
    assert causes[0]["field"] == "spec.template.spec.containers[0].ports[0].containerPort"
    assert causes[0]["reason"] == "FieldValueTypeInvalid"


def test_bad_names_are_422_invalid_with_the_api_servers_message(cluster: Cluster, ns: str) -> None:
    service = {"metadata": {"name": "1web"}, "spec": {"ports": [{"port": 80}]}}
    with pytest.raises(client.ApiException) as raised:
        cluster.core.create_namespaced_service(ns, service, _preload_content=False)
    assert raised.value.status == 422
    status = error_body(raised)
    assert status["details"] == {
        "name": "1web",
        "kind": "Service",
        "causes": [
            {
                "reason": "FieldValueInvalid",
                "message": 'Invalid value: "1web": a DNS-1035 label must consist of lower case '
                "alphanumeric characters or '-', start with an alphabetic character, and end with "
                "an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
                "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
                "field": "metadata.name",
            }
        ],
    }
    assert status["message"].startswith('Service "1web" is invalid: metadata.name: Invalid value')
    bad = deployment("Web_App")
    bad["metadata"]["labels"] = {"app": "web"}
    bad["spec"]["selector"]["matchLabels"] = {"app": "web"}
    bad["spec"]["template"]["metadata"]["labels"] = {"app": "web"}
    bad["spec"]["template"]["spec"]["containers"][0]["name"] = "web"
    with pytest.raises(client.ApiException) as raised:
        cluster.apps.create_namespaced_deployment(ns, bad, _preload_content=False)
    assert [c["field"] for c in error_body(raised)["details"]["causes"]] == ["metadata.name"]


def test_a_selector_that_misses_the_template_labels_is_422(cluster: Cluster, ns: str) -> None:
    bad = deployment()
    bad["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    with pytest.raises(client.ApiException) as raised:
        cluster.apps.create_namespaced_deployment(ns, bad, _preload_content=False)
    causes = error_body(raised)["details"]["causes"]
    assert causes == [
        {
            "reason": "FieldValueInvalid",
            "message": 'Invalid value: map[string]string{"app":"other"}: `selector` does not '
            "match template `labels`",
            "field": "spec.template.metadata.labels",
        }
    ]


def test_schema_validation_agrees_with_kubernetes_validate() -> None:
    good = deployment()
    bad_typo = copy.deepcopy(good)
    bad_typo["spec"]["replica"] = 2
    bad_missing = copy.deepcopy(good)
    del bad_missing["spec"]["selector"]
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web"},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "minReplicas": 1},
    }
    version = kubernetes_validate.latest_version()
    for document in (good, bad_typo, bad_missing, hpa):
        try:
            kubernetes_validate.validate(document, version, strict=True)
            expected_valid = True
        except kubernetes_validate.ValidationError:
            expected_valid = False
        assert (SchemaValidator().errors(document) == []) is expected_valid


def test_reads_of_objects_are_valid_against_the_schemas(cluster: Cluster, ns: str) -> None:
    """Every object the emulator and its controllers wrote passes the strict schema."""
    cluster.apps.create_namespaced_deployment(ns, deployment(), _preload_content=False)
    service = {
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": "http"}]},
    }
    cluster.core.create_namespaced_service(ns, service, _preload_content=False)
    wait_for(lambda: cluster.deployment(ns, "web").get("status", {}).get("readyReplicas") == 2)
    version = kubernetes_validate.latest_version()
    for kind in ("deployments", "replicasets", "pods", "services", "endpointslices"):
        for obj in cluster.emulator.list(kind, ns):
            kubernetes_validate.validate(json.loads(json.dumps(obj)), version, strict=True)


def test_the_status_subresource_writes_status_only(manual: Cluster, mns: str) -> None:
    read(manual.apps.create_namespaced_deployment(mns, deployment(), _preload_content=False))
    before = manual.deployment(mns, "web")
    written = body(
        manual.apps.patch_namespaced_deployment_status(
            "web",
            mns,
            {"spec": {"replicas": 9}, "status": {"replicas": 7}},
            _content_type="application/merge-patch+json",
            _preload_content=False,
        )
    )
    assert written["status"]["replicas"] == 7
    assert written["spec"]["replicas"] == 2
    assert written["metadata"]["generation"] == before["metadata"]["generation"]
    assert manual.deployment(mns, "web")["status"]["replicas"] == 2  # the controller corrects it
    status = body(manual.apps.read_namespaced_deployment_status("web", mns, _preload_content=False))
    assert status["kind"] == "Deployment"


def test_the_watch_path_form_and_deletecollection(manual: Cluster, mns: str) -> None:
    for name in ("a", "b", "c"):
        read(
            manual.core.create_namespaced_config_map(
                mns,
                _config_map(name, {"group": "x" if name != "c" else "y"}),
                _preload_content=False,
            )
        )
    deleted = body(
        manual.core.delete_collection_namespaced_config_map(
            mns, label_selector="group=x", _preload_content=False
        )
    )
    assert sorted(item["metadata"]["name"] for item in deleted["items"]) == ["a", "b"]
    remaining = body(manual.core.list_namespaced_config_map(mns, _preload_content=False))
    assert [item["metadata"]["name"] for item in remaining["items"]] == ["c"]
    request = urllib.request.Request(
        f"{manual.emulator.api_url}/api/v1/watch/namespaces/{mns}/configmaps/c?timeoutSeconds=1"
    )
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
        request, timeout=5
    ) as answer:
        events = [json.loads(line) for line in answer.read().splitlines()]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "c")]


def test_an_emulator_never_stopped_removes_its_kubeconfig_when_the_program_ends() -> None:
    script = (
        "from orchsdk_kubernetes.testing import KubernetesEmulator\n"
        "emulator = KubernetesEmulator(auto=False).start()\n"
        "print(emulator.kubeconfig)\n"
        "raise SystemExit(3)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    kubeconfig = Path(done.stdout.strip())
    assert done.returncode == 3, done.stderr
    assert kubeconfig.name == "kubeconfig"
    assert not kubeconfig.parent.exists()
