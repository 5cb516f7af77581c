"""Watches: events from a resourceVersion, 410 Gone after compaction, bookmarks, drops."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
import urllib3
from kube_emulator_helpers import Cluster, body, read, wait_for
from kubernetes import client, watch


def _config_map(name: str, **labels: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": labels}, "data": {"k": "v"}}


def _list_rv(cluster: Cluster, ns: str) -> str:
    listed = body(cluster.core.list_namespaced_config_map(ns, _preload_content=False))
    return listed["metadata"]["resourceVersion"]  # type: ignore[no-any-return]


def _events(
    cluster: Cluster, ns: str, count: int | None = None, **options: Any
) -> list[tuple[str, str, Any]]:
    """(type, name, raw object) of the events until the stream ends or ``count`` arrived."""
    watcher = watch.Watch()
    seen = []
    for event in watcher.stream(
        cluster.core.list_namespaced_config_map, ns, deserialize=False, **options
    ):
        raw = event["object"]
        seen.append((event["type"], raw.get("metadata", {}).get("name", ""), raw))
        if count is not None and len(seen) >= count:
            watcher.stop()
    return seen


def test_a_watch_replays_changes_after_its_resource_version_and_ends_at_timeout(
    manual: Cluster, mns: str
) -> None:
    start = _list_rv(manual, mns)
    read(manual.core.create_namespaced_config_map(mns, _config_map("a"), _preload_content=False))
    read(
        manual.core.patch_namespaced_config_map(
            "a", mns, {"data": {"k": "2"}}, _preload_content=False
        )
    )
    read(manual.core.delete_namespaced_config_map("a", mns, _preload_content=False))
    began = time.monotonic()
    events = _events(manual, mns, resource_version=start, timeout_seconds=1)
    assert 0.9 < time.monotonic() - began < 3
    assert [(kind, name) for kind, name, _ in events] == [
        ("ADDED", "a"),
        ("MODIFIED", "a"),
        ("DELETED", "a"),
    ]
    added, modified, deleted = (obj for _, _, obj in events)
    assert added["kind"] == "ConfigMap"
    assert added["apiVersion"] == "v1"
    assert modified["data"] == {"k": "2"}
    versions = [int(obj["metadata"]["resourceVersion"]) for obj in (added, modified, deleted)]
    assert versions == sorted(versions)
    assert len(set(versions)) == 3


def test_a_watch_resumes_from_the_last_resource_version_it_saw(manual: Cluster, mns: str) -> None:
    start = _list_rv(manual, mns)
    first = body(
        manual.core.create_namespaced_config_map(mns, _config_map("a"), _preload_content=False)
    )
    read(manual.core.create_namespaced_config_map(mns, _config_map("b"), _preload_content=False))
    everything = _events(manual, mns, 2, resource_version=start, timeout_seconds=5)
    assert [name for _, name, _ in everything] == ["a", "b"]
    resumed = _events(
        manual, mns, 1, resource_version=first["metadata"]["resourceVersion"], timeout_seconds=5
    )
    assert [(kind, name) for kind, name, _ in resumed] == [("ADDED", "b")]


def test_a_watch_without_resource_version_starts_with_the_current_objects(
    manual: Cluster, mns: str
) -> None:
    read(manual.core.create_namespaced_config_map(mns, _config_map("a"), _preload_content=False))
    events = _events(manual, mns, 1, timeout_seconds=5)
    assert [(kind, name) for kind, name, _ in events] == [("ADDED", "a")]


def test_live_events_arrive_while_the_watch_is_open(manual: Cluster, mns: str) -> None:
    start = _list_rv(manual, mns)

    def write_later() -> None:
        time.sleep(0.2)
        read(
            manual.core.create_namespaced_config_map(
                mns, _config_map("late"), _preload_content=False
            )
        )

    writer = threading.Thread(target=write_later)
    writer.start()
    watcher = watch.Watch()
    seen = []
    for event in watcher.stream(
        manual.core.list_namespaced_config_map, mns, resource_version=start, timeout_seconds=5
    ):
        seen.append((event["type"], event["object"].metadata.name))
        watcher.stop()
    writer.join()
    assert seen == [("ADDED", "late")]
    wait_for(lambda: manual.emulator.open_watches == 0)  # the server noticed the client left


def test_a_compacted_resource_version_gets_410_expired(manual: Cluster, mns: str) -> None:
    start = _list_rv(manual, mns)
    read(manual.core.create_namespaced_config_map(mns, _config_map("a"), _preload_content=False))
    manual.emulator.compact()
    response = manual.core.list_namespaced_config_map(
        mns, watch=True, resource_version=start, timeout_seconds=1, _preload_content=False
    )
    lines = [json.loads(line) for line in response.data.splitlines()]
    assert response.status == 200
    assert lines == [
        {
            "type": "ERROR",
            "object": {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": lines[0]["object"]["message"],
                "reason": "Expired",
                "code": 410,
            },
        }
    ]
    assert lines[0]["object"]["message"].startswith(f"too old resource version: {start} (")
    with pytest.raises(client.ApiException) as raised:
        for _ in watch.Watch().stream(
            manual.core.list_namespaced_config_map, mns, resource_version=start, timeout_seconds=5
        ):
            pass
    assert raised.value.status == 410
    assert raised.value.reason.startswith("Expired: too old resource version")
    # relisting gives a resourceVersion the watch accepts again
    fresh = _list_rv(manual, mns)
    read(manual.core.create_namespaced_config_map(mns, _config_map("b"), _preload_content=False))
    assert [
        name for _, name, _ in _events(manual, mns, 1, resource_version=fresh, timeout_seconds=5)
    ] == ["b"]


def test_bookmarks_carry_the_current_resource_version(manual: Cluster, mns: str) -> None:
    start = _list_rv(manual, mns)
    read(manual.core.create_namespaced_config_map(mns, _config_map("a"), _preload_content=False))
    events = _events(
        manual, mns, resource_version=start, timeout_seconds=1, allow_watch_bookmarks=True
    )
    assert [kind for kind, _, _ in events] == ["ADDED", "BOOKMARK"]
    bookmark = events[-1][2]
    assert bookmark["kind"] == "ConfigMap"
    assert int(bookmark["metadata"]["resourceVersion"]) >= int(
        events[0][2]["metadata"]["resourceVersion"]
    )


def test_a_label_selected_watch_sees_objects_leave_and_enter_the_selection(
    manual: Cluster, mns: str
) -> None:
    start = _list_rv(manual, mns)
    read(
        manual.core.create_namespaced_config_map(
            mns, _config_map("a", app="web"), _preload_content=False
        )
    )
    read(
        manual.core.patch_namespaced_config_map(
            "a", mns, {"metadata": {"labels": {"app": "db"}}}, _preload_content=False
        )
    )
    read(
        manual.core.patch_namespaced_config_map(
            "a", mns, {"metadata": {"labels": {"app": "web"}}}, _preload_content=False
        )
    )
    events = _events(
        manual, mns, 3, resource_version=start, timeout_seconds=5, label_selector="app=web"
    )
    assert [kind for kind, _, _ in events] == ["ADDED", "DELETED", "ADDED"]


def test_a_field_selected_watch_follows_one_deployment(manual: Cluster, mns: str) -> None:
    start = body(manual.apps.list_namespaced_deployment(mns, _preload_content=False))["metadata"][
        "resourceVersion"
    ]
    for name in ("web", "other"):
        read(
            manual.apps.create_namespaced_deployment(
                mns,
                {
                    "metadata": {"name": name},
                    "spec": {
                        "selector": {"matchLabels": {"app": name}},
                        "template": {
                            "metadata": {"labels": {"app": name}},
                            "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
                        },
                    },
                },
                _preload_content=False,
            )
        )
    watcher = watch.Watch()
    names = set()
    for event in watcher.stream(
        manual.apps.list_namespaced_deployment,
        mns,
        field_selector="metadata.name=web",
        resource_version=start,
        timeout_seconds=5,
        deserialize=False,
    ):
        names.add(event["object"]["metadata"]["name"])
        if event["object"].get("status", {}).get("observedGeneration"):
            watcher.stop()  # the controller's first status update has been seen
    assert names == {"web"}


def _open_watch(cluster: Cluster, ns: str) -> tuple[threading.Thread, list[Any]]:
    outcome: list[Any] = []
    response = cluster.core.list_namespaced_config_map(
        ns,
        watch=True,
        resource_version=_list_rv(cluster, ns),
        timeout_seconds=30,
        _preload_content=False,
    )

    def read() -> None:
        try:
            outcome.append(b"".join(response.stream(amt=None)))
        except urllib3.exceptions.HTTPError as error:
            outcome.append(error)
        finally:
            response.release_conn()

    reader = threading.Thread(target=read)
    reader.start()
    return reader, outcome


def test_dropped_watches_are_cut_off_mid_stream(manual: Cluster, mns: str) -> None:
    reader, outcome = _open_watch(manual, mns)
    time.sleep(0.1)
    manual.emulator.drop_watches()
    reader.join(timeout=5)
    assert not reader.is_alive()
    assert isinstance(outcome[0], urllib3.exceptions.ProtocolError)


def test_cleanly_dropped_watches_end_like_a_timeout(manual: Cluster, mns: str) -> None:
    reader, outcome = _open_watch(manual, mns)
    time.sleep(0.1)
    manual.emulator.drop_watches(clean=True)
    reader.join(timeout=5)
    assert not reader.is_alive()
    assert outcome == [b""]


def test_send_initial_events_ends_the_initial_state_with_a_bookmark(
    manual: Cluster, mns: str
) -> None:
    read(manual.core.create_namespaced_config_map(mns, _config_map("a"), _preload_content=False))
    response = manual.core.list_namespaced_config_map(
        mns,
        watch=True,
        send_initial_events=True,
        resource_version_match="NotOlderThan",
        allow_watch_bookmarks=True,
        timeout_seconds=1,
        _preload_content=False,
    )
    events = [json.loads(line) for line in response.data.splitlines()]
    assert [event["type"] for event in events[:2]] == ["ADDED", "BOOKMARK"]
    annotations = events[1]["object"]["metadata"]["annotations"]
    assert annotations == {"k8s.io/initial-events-end": "true"}
