"""What one Kubernetes apply sends, and what it reports, against the emulator.

An apply is one server-side apply ``PATCH`` when the backend has seen the object (in an
apply, get or list answer); an object not seen yet is found by one listing of its kind
in its namespace, which serves every other object of that kind there. Whether a
deployment is handed to an autoscaler is told from the deployment itself, so ``render``
sends nothing and no apply lists autoscalers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import attrs
import pytest
from orchsdk_kubernetes.testing import KubernetesEmulator

import orchsdk
from orchsdk import Action, Autoscaler, Deployment, Orchestrator, Port, Secret
from orchsdk.testing.failures import eventually

T = TypeVar("T")

DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"
SECRETS = "/api/v1/namespaces/default/secrets"
LIST_DEPLOYMENTS = ("GET", DEPLOYMENTS)


def web(name: str = "web", **changes: Any) -> Deployment:
    spec = Deployment(
        name,
        image="nginx:1.27",
        replicas=2,
        ports=[Port(8080, name="http")],
        labels={"app": name},
    )
    return attrs.evolve(spec, **changes)


def scaler(**changes: Any) -> Autoscaler:
    spec = Autoscaler("web", target="web", min_replicas=3, max_replicas=6, cpu_percent=50)
    return attrs.evolve(spec, **changes)


def sent(emulator: KubernetesEmulator, call: Callable[[], T]) -> tuple[T, list[tuple[str, str]]]:
    """What ``call`` returned, and the ``(method, path)`` of each request it sent."""
    mark = len(emulator.server.requests)
    result = call()
    return result, emulator.server.requests[mark:]


def action(results: list[orchsdk.ApplyResult]) -> Action:
    [result] = results
    return result.action


def patch(name: str = "web") -> tuple[str, str]:
    return ("PATCH", f"{DEPLOYMENTS}/{name}")


@pytest.fixture
def emulator(kubernetes_emulator: KubernetesEmulator) -> KubernetesEmulator:
    return kubernetes_emulator


@pytest.fixture
def orch(emulator: KubernetesEmulator) -> Iterator[Orchestrator]:
    with orchsdk.connect(emulator.url) as orch:
        yield orch


@pytest.fixture
def other(emulator: KubernetesEmulator) -> Iterator[Orchestrator]:
    """Another client of the same cluster (its own connection, so its own cache)."""
    with orchsdk.connect(emulator.url) as other:
        yield other


def stored(emulator: KubernetesEmulator) -> dict[str, Any]:
    """``web`` as the emulator holds it."""
    deployment = emulator.get("Deployment", "web", "default")
    assert deployment is not None
    return deployment


def owns_replicas(emulator: KubernetesEmulator, manager: str) -> bool:
    return any(
        entry["manager"] == manager and "f:replicas" in str(entry.get("fieldsV1"))
        for entry in stored(emulator)["metadata"]["managedFields"]
    )


def replicas(emulator: KubernetesEmulator) -> int:
    return int(stored(emulator)["spec"]["replicas"])


def autoscaled(emulator: KubernetesEmulator, orch: Orchestrator) -> None:
    """``web`` at 2 replicas, then handed to an HPA that scaled it to its minimum, 3, at
    its first sync."""
    orch.apply(web())
    orch.apply(scaler())
    assert eventually(lambda: replicas(emulator) == 3, 5.0)


# -- request counts --------------------------------------------------------------------


def test_the_first_new_object_of_a_kind_in_a_namespace_is_one_list_and_one_patch(
    emulator: KubernetesEmulator, orch: Orchestrator
) -> None:
    results, requests = sent(emulator, lambda: orch.apply(web()))

    assert requests == [LIST_DEPLOYMENTS, patch()]
    assert action(results) is Action.CREATED


def test_later_new_objects_of_that_kind_there_are_one_patch_each(
    emulator: KubernetesEmulator, orch: Orchestrator
) -> None:
    orch.apply(web())

    results, requests = sent(emulator, lambda: orch.apply(web("api")))

    assert requests == [patch("api")]
    assert action(results) is Action.CREATED


def test_reapplying_an_unchanged_object_is_one_patch_reported_unchanged(
    emulator: KubernetesEmulator, orch: Orchestrator
) -> None:
    orch.apply(web())

    results, requests = sent(emulator, lambda: orch.apply(web()))

    assert requests == [patch()]
    assert action(results) is Action.UNCHANGED


def test_applying_a_change_is_one_patch_reported_updated(
    emulator: KubernetesEmulator, orch: Orchestrator
) -> None:
    orch.apply(web())

    results, requests = sent(emulator, lambda: orch.apply(web(image="nginx:1.28")))

    assert requests == [patch()]
    assert action(results) is Action.UPDATED
    assert orch.get(Deployment, "web").image == "nginx:1.28"


def test_an_object_is_still_unchanged_after_its_controller_updated_its_status(
    emulator: KubernetesEmulator, orch: Orchestrator
) -> None:
    orch.apply(web())
    version = stored(emulator)["metadata"]["resourceVersion"]
    orch.wait("web", timeout=10)
    assert stored(emulator)["metadata"]["resourceVersion"] != version

    results, requests = sent(emulator, lambda: orch.apply(web()))

    assert requests == [patch()]
    assert action(results) is Action.UNCHANGED


def test_an_object_listed_before_its_status_changed_is_still_unchanged(
    emulator: KubernetesEmulator, orch: Orchestrator, other: Orchestrator
) -> None:
    other.apply(web())
    orch.apply(web("api"))  # lists the deployments, web among them
    other.wait("web", timeout=10)

    results, requests = sent(emulator, lambda: orch.apply(web()))

    assert requests == [patch()]
    assert action(results) is Action.UNCHANGED


def test_an_existing_object_a_new_connection_meets_is_listed_then_reported_unchanged(
    emulator: KubernetesEmulator, orch: Orchestrator, other: Orchestrator
) -> None:
    other.apply(web())

    results, requests = sent(emulator, lambda: orch.apply(web()))

    assert requests == [LIST_DEPLOYMENTS, patch()]
    assert action(results) is Action.UNCHANGED


def test_the_listing_also_serves_the_other_objects_of_the_namespace(
    emulator: KubernetesEmulator, orch: Orchestrator, other: Orchestrator
) -> None:
    other.apply(web(), web("api"))
    orch.apply(web())

    results, requests = sent(emulator, lambda: orch.apply(web("api", image="nginx:1.28")))

    assert requests == [patch("api")]
    assert action(results) is Action.UPDATED


def test_an_object_read_by_get_is_then_applied_with_one_patch(
    emulator: KubernetesEmulator, orch: Orchestrator, other: Orchestrator
) -> None:
    other.apply(web())
    orch.get(Deployment, "web")

    results, requests = sent(emulator, lambda: orch.apply(web()))

    assert requests == [patch()]
    assert action(results) is Action.UNCHANGED


def test_each_kind_is_listed_once_per_namespace(
    emulator: KubernetesEmulator, orch: Orchestrator
) -> None:
    _, requests = sent(
        emulator,
        lambda: orch.apply(
            Secret("db", data={"password": "pw"}),
            Secret("cache", data={"password": "pw"}),
            web(),
            web("api"),
        ),
    )

    assert requests.count(("GET", SECRETS)) == 1
    assert requests.count(LIST_DEPLOYMENTS) == 1
    assert len(requests) == 2 + 4


def test_past_a_page_of_objects_unseen_ones_are_read_one_by_one(
    emulator: KubernetesEmulator,
    orch: Orchestrator,
    other: Orchestrator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import orchsdk_kubernetes.handlers as module

    monkeypatch.setattr(module, "LIST_PAGE", 2)
    other.apply(web("a"), web("b"), web("c"))

    results, requests = sent(emulator, lambda: orch.apply(web("c")))
    assert requests == [LIST_DEPLOYMENTS, ("GET", f"{DEPLOYMENTS}/c"), patch("c")]
    assert action(results) is Action.UNCHANGED

    results, requests = sent(emulator, lambda: orch.apply(web("d")))
    assert requests == [("GET", f"{DEPLOYMENTS}/d"), patch("d")]
    assert action(results) is Action.CREATED


def test_a_missing_namespace_is_created_on_demand_and_its_object_reported_created(
    emulator: KubernetesEmulator,
) -> None:
    with orchsdk.connect(emulator.url, namespace="fresh", create_namespace=True) as orch:
        [result] = orch.apply(web())

    assert result.action is Action.CREATED
    assert emulator.get("Namespace", "fresh", "") is not None
    assert emulator.get("Deployment", "web", "fresh") is not None


# -- what the report says when others write too ----------------------------------------


def test_an_object_another_client_changed_then_this_apply_changed_reports_updated(
    emulator: KubernetesEmulator, orch: Orchestrator, other: Orchestrator
) -> None:
    orch.apply(web())
    other.apply(web(image="nginx:1.28"))

    results, requests = sent(emulator, lambda: orch.apply(web(image="nginx:1.29")))

    assert requests == [patch()]
    assert action(results) is Action.UPDATED


def test_an_object_another_client_created_since_it_was_listed_reports_updated(
    emulator: KubernetesEmulator, orch: Orchestrator, other: Orchestrator
) -> None:
    orch.apply(web())
    other.apply(web("api"))

    results, requests = sent(emulator, lambda: orch.apply(web("api")))

    assert requests == [patch("api")]
    assert action(results) is Action.UPDATED


def test_a_change_by_another_client_that_this_apply_undoes_reports_unchanged(
    emulator: KubernetesEmulator, orch: Orchestrator, other: Orchestrator
) -> None:
    """The documented limit: the answer equals the object this backend last saw."""
    orch.apply(web())
    other.apply(web(image="nginx:1.28"))

    [result] = orch.apply(web())

    assert result.action is Action.UNCHANGED
    assert orch.get(Deployment, "web").image == "nginx:1.27"  # the state is right all the same


def test_delete_forgets_the_object_so_applying_it_again_reports_created(
    emulator: KubernetesEmulator, orch: Orchestrator
) -> None:
    orch.apply(web())
    orch.delete(Deployment, "web")

    results, requests = sent(emulator, lambda: orch.apply(web()))

    assert requests == [patch()]
    assert action(results) is Action.CREATED


def test_scale_forgets_the_deployment_so_the_next_apply_reads_it_and_reports_updated(
    emulator: KubernetesEmulator, orch: Orchestrator
) -> None:
    orch.apply(web())
    orch.scale("web", 5)

    results, requests = sent(emulator, lambda: orch.apply(web()))

    assert requests == [("GET", f"{DEPLOYMENTS}/web"), patch()]
    assert action(results) is Action.UPDATED
    assert replicas(emulator) == 2


def test_a_rolled_back_deployment_is_read_afresh_and_reapplying_it_reports_updated(
    emulator: KubernetesEmulator, orch: Orchestrator
) -> None:
    orch.apply(web(), wait=True, timeout=10)
    orch.apply(web(image="nginx:1.28"), wait=True, timeout=10)
    orch.rollback("web")

    results, requests = sent(emulator, lambda: orch.apply(web(image="nginx:1.28")))

    assert requests == [("GET", f"{DEPLOYMENTS}/web"), patch()]
    assert action(results) is Action.UPDATED


# -- autoscalers -----------------------------------------------------------------------


class TestAutoscalers:
    """On an emulator whose controllers act only when settled, so that a count the HPA
    would put right again cannot hide a wrong apply."""

    @pytest.fixture
    def emulator(self) -> Iterator[KubernetesEmulator]:
        with KubernetesEmulator(auto=False) as emulator:
            yield emulator

    def test_render_sends_nothing_for_a_deployment_an_autoscaler_targets(
        self, emulator: KubernetesEmulator, orch: Orchestrator
    ) -> None:
        autoscaled(emulator, orch)

        documents, requests = sent(emulator, lambda: orch.render(web()))

        assert requests == []
        assert documents[0]["spec"]["replicas"] == 2  # the spec as written

    def test_an_autoscaled_deployment_is_applied_in_one_patch_that_leaves_replicas_out(
        self, emulator: KubernetesEmulator, orch: Orchestrator
    ) -> None:
        autoscaled(emulator, orch)

        results, requests = sent(emulator, lambda: orch.apply(web(replicas=1, image="nginx:1.28")))

        assert requests == [patch()]
        assert action(results) is Action.UPDATED
        assert replicas(emulator) == 3
        assert not owns_replicas(emulator, "orchsdk")

    def test_an_autoscaled_deployment_whose_replicas_the_hpa_moved_is_reported_unchanged(
        self, emulator: KubernetesEmulator, orch: Orchestrator
    ) -> None:
        autoscaled(emulator, orch)

        [result] = orch.apply(web())

        assert result.action is Action.UNCHANGED

    def test_a_new_connection_tells_an_autoscaled_deployment_from_the_deployment_itself(
        self, emulator: KubernetesEmulator, orch: Orchestrator, other: Orchestrator
    ) -> None:
        autoscaled(emulator, other)

        results, requests = sent(emulator, lambda: orch.apply(web(replicas=1)))

        assert requests == [LIST_DEPLOYMENTS, patch()]
        assert not any("autoscaling" in path for _, path in requests)
        assert action(results) is Action.UNCHANGED
        assert replicas(emulator) == 3

    def test_an_autoscaler_handed_over_by_another_client_is_followed_at_the_next_apply(
        self, emulator: KubernetesEmulator, orch: Orchestrator, other: Orchestrator
    ) -> None:
        """This backend saw ``web`` before the other client handed it to an HPA: its apply
        sets the replicas once, then lets the handover co-own them again, so that the apply
        after, which leaves them out, does not reset them to 1."""
        orch.apply(web())
        other.apply(scaler())
        emulator.settle()

        orch.apply(web(replicas=4))
        orch.apply(web(replicas=4))

        assert replicas(emulator) == 4
        assert not owns_replicas(emulator, "orchsdk")

    def test_deleting_the_autoscaler_keeps_the_count_it_left(
        self, emulator: KubernetesEmulator, orch: Orchestrator
    ) -> None:
        autoscaled(emulator, orch)

        orch.delete(Autoscaler, "web")
        emulator.settle()

        assert replicas(emulator) == 3

    def test_after_its_autoscaler_is_deleted_apply_sets_the_replicas_again(
        self, emulator: KubernetesEmulator, orch: Orchestrator
    ) -> None:
        autoscaled(emulator, orch)
        orch.delete(Autoscaler, "web")

        results, requests = sent(emulator, lambda: orch.apply(web()))

        assert requests == [patch()]
        assert action(results) is Action.UPDATED
        assert replicas(emulator) == 2
        assert owns_replicas(emulator, "orchsdk")

    def test_an_autoscaler_deleted_by_another_client_hands_the_replicas_back_here_too(
        self, emulator: KubernetesEmulator, orch: Orchestrator, other: Orchestrator
    ) -> None:
        autoscaled(emulator, orch)
        other.delete(Autoscaler, "web")

        orch.apply(web())

        assert replicas(emulator) == 2
        assert owns_replicas(emulator, "orchsdk")

    def test_deleting_another_autoscaler_of_the_deployment_leaves_it_handed_over(
        self, emulator: KubernetesEmulator, orch: Orchestrator
    ) -> None:
        autoscaled(emulator, orch)
        orch.apply(scaler(name="web-next"))
        orch.delete(Autoscaler, "web")

        orch.apply(web(replicas=1))

        assert replicas(emulator) == 3
        assert not owns_replicas(emulator, "orchsdk")


# -- diff agrees with apply ------------------------------------------------------------


def test_diff_of_an_autoscaled_deployment_leaves_replicas_to_the_autoscaler(
    emulator: KubernetesEmulator, orch: Orchestrator
) -> None:
    autoscaled(emulator, orch)

    [unchanged] = orch.diff(web(replicas=1))
    [updated] = orch.diff(web(replicas=1, image="nginx:1.28"))

    assert (unchanged.action, unchanged.changes) == (Action.UNCHANGED, ())
    assert updated.action is Action.UPDATED
    assert [change.path for change in updated.changes] == ["spec.template.spec.containers[0].image"]


def test_diff_of_a_secret_shows_the_masked_values_themselves(orch: Orchestrator) -> None:
    orch.apply(Secret("db", data={"password": "one", "user": "app"}))

    [diff] = orch.diff(Secret("db", data={"password": "two", "user": "app", "host": "db1"}))

    assert diff.action is Action.UPDATED
    assert {change.path: (change.old, change.new) for change in diff.changes} == {
        "data.password": ("(hidden)", "(hidden, changed)"),
        "data.host": (None, "(hidden, changed)"),
    }


def test_diff_of_an_unchanged_secret_shows_nothing(orch: Orchestrator) -> None:
    orch.apply(Secret("db", data={"password": "one"}))

    [diff] = orch.diff(Secret("db", data={"password": "one"}))

    assert (diff.action, diff.changes) == (Action.UNCHANGED, ())
