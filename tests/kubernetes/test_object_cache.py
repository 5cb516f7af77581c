"""The Kubernetes backend's object cache: what it says of an object, listings, bounds."""

from __future__ import annotations

import copy
from typing import Any

from orchsdk_kubernetes.labels import AUTOSCALER_ANNOTATION, HANDOVER_MANAGER
from orchsdk_kubernetes.object_cache import (
    ABSENT,
    ObjectCache,
    Seen,
    autoscaler_of,
    content,
)

GROUP = ("Deployment", "shop")


def deployment(name: str = "web", version: str = "1", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop", "resourceVersion": version},
        "spec": {"replicas": 2, "template": {"spec": {"containers": [{"image": "nginx"}]}}, **spec},
    }


def handed_over(obj: dict[str, Any], manager: str = HANDOVER_MANAGER) -> dict[str, Any]:
    """``obj`` marked as handed to autoscaler ``web`` by ``manager``."""
    obj = copy.deepcopy(obj)
    obj["metadata"]["annotations"] = {AUTOSCALER_ANNOTATION: "web"}
    obj["metadata"]["managedFields"] = [
        {
            "manager": manager,
            "operation": "Apply",
            "fieldsV1": {"f:metadata": {"f:annotations": {f"f:{AUTOSCALER_ANNOTATION}": {}}}},
        }
    ]
    return obj


def seen(cache: ObjectCache, name: str = "web", version: str = "1") -> Seen:
    return cache.seen(deployment(name, version))


# -- what is known of one object -------------------------------------------------------


def test_an_object_never_seen_is_unknown() -> None:
    assert ObjectCache().lookup(("Deployment", "shop", "web")) is None


def test_an_object_remembered_is_seen_as_remembered() -> None:
    cache = ObjectCache()
    record = seen(cache)
    cache.remember(("Deployment", "shop", "web"), record)

    assert cache.lookup(("Deployment", "shop", "web")) == record


def test_an_object_remembered_absent_is_absent() -> None:
    cache = ObjectCache()
    cache.remember(("Deployment", "shop", "web"), ABSENT)

    assert cache.lookup(("Deployment", "shop", "web")) is ABSENT


def test_a_forgotten_object_is_unknown_even_in_a_complete_listing() -> None:
    cache = ObjectCache()
    cache.remember_listing(GROUP, [("web", seen(cache))], complete=True, mark=cache.mark())
    cache.forget(("Deployment", "shop", "web"))

    assert cache.lookup(("Deployment", "shop", "web")) is None


# -- listings --------------------------------------------------------------------------


def test_a_complete_listing_makes_every_other_name_of_its_group_absent() -> None:
    cache = ObjectCache()
    cache.remember_listing(GROUP, [("web", seen(cache))], complete=True, mark=cache.mark())

    assert cache.lookup(("Deployment", "shop", "api")) is ABSENT
    assert cache.lookup(("Deployment", "other", "api")) is None
    assert cache.lookup(("Secret", "shop", "api")) is None


def test_a_listing_cut_at_a_page_leaves_the_other_names_unknown() -> None:
    cache = ObjectCache()
    cache.remember_listing(GROUP, [("web", seen(cache))], complete=False, mark=cache.mark())

    assert cache.listed(GROUP)
    assert cache.lookup(("Deployment", "shop", "api")) is None


def test_a_listing_does_not_replace_an_object_seen_since_it_was_sent() -> None:
    cache = ObjectCache()
    mark = cache.mark()
    newer = seen(cache, version="2")
    cache.remember(("Deployment", "shop", "web"), newer)
    cache.remember_listing(GROUP, [("web", seen(cache, version="1"))], complete=True, mark=mark)

    assert cache.lookup(("Deployment", "shop", "web")) == newer


def test_a_labelled_listing_fills_in_objects_but_does_not_mark_its_group_listed() -> None:
    cache = ObjectCache()
    cache.fill(GROUP, [("web", seen(cache))])

    assert cache.lookup(("Deployment", "shop", "web")) == seen(cache)
    assert not cache.listed(GROUP)


# -- bounds ----------------------------------------------------------------------------


def test_the_least_recently_used_object_goes_first() -> None:
    cache = ObjectCache(limit=2)
    for name in ("a", "b"):
        cache.remember(("Deployment", "shop", name), seen(cache, name))
    cache.lookup(("Deployment", "shop", "a"))
    cache.remember(("Deployment", "shop", "c"), seen(cache, "c"))

    assert cache.lookup(("Deployment", "shop", "a")) is not None
    assert cache.lookup(("Deployment", "shop", "b")) is None


def test_evicting_an_object_makes_its_listing_partial() -> None:
    cache = ObjectCache(limit=2)
    items = [("a", seen(cache, "a")), ("b", seen(cache, "b"))]
    cache.remember_listing(GROUP, items, complete=True, mark=cache.mark())
    cache.remember(("Secret", "shop", "db"), seen(cache, "db"))

    assert cache.lookup(("Deployment", "shop", "a")) is None  # evicted: not "absent"


def test_a_listing_during_which_an_object_was_evicted_is_partial() -> None:
    cache = ObjectCache(limit=1)
    mark = cache.mark()
    cache.remember(("Deployment", "shop", "a"), seen(cache, "a"))
    cache.remember(("Deployment", "shop", "b"), seen(cache, "b"))  # evicts a
    cache.remember_listing(GROUP, [], complete=True, mark=mark)

    assert cache.lookup(("Deployment", "shop", "a")) is None


def test_the_oldest_listing_goes_past_the_group_limit() -> None:
    cache = ObjectCache(groups=1)
    cache.remember_listing(("Deployment", "a"), [], complete=True, mark=cache.mark())
    cache.remember_listing(("Deployment", "b"), [], complete=True, mark=cache.mark())

    assert not cache.listed(("Deployment", "a"))
    assert cache.lookup(("Deployment", "a", "web")) is None


# -- content and digests ---------------------------------------------------------------


def test_a_status_update_leaves_the_content_as_it_was() -> None:
    cache = ObjectCache()
    before = deployment(version="1")
    after = {**deployment(version="7"), "status": {"readyReplicas": 2}}
    after["metadata"]["generation"] = 3
    after["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "2"}

    assert cache.seen(before).same_content(cache.seen(after))


def test_a_list_item_without_its_type_has_the_content_of_the_object() -> None:
    item = {key: value for key, value in deployment().items() if key not in ("apiVersion", "kind")}

    assert content(item) == content(deployment())


def test_a_spec_change_changes_the_content() -> None:
    cache = ObjectCache()

    assert not cache.seen(deployment(version="1")).same_content(
        cache.seen(deployment(version="2", paused=True))
    )


def test_the_same_resource_version_is_the_same_content() -> None:
    cache = ObjectCache()
    first = cache.seen(deployment(version="5"))

    assert first.same_content(Seen("5", b"other digest", None))


def test_the_replica_count_of_an_autoscaled_deployment_is_not_content() -> None:
    assert content(handed_over(deployment(replicas=3))) == content(handed_over(deployment()))
    assert content(deployment(replicas=3)) != content(deployment())


def test_a_record_shows_no_secret_value() -> None:
    cache = ObjectCache()
    secret = {"metadata": {"name": "db", "resourceVersion": "1"}, "data": {"pw": "czNjcjN0"}}

    assert "czNjcjN0" not in repr(cache.seen(secret))


def test_digests_differ_between_caches() -> None:
    """Keyed per cache: a digest cannot be matched against values guessed elsewhere."""
    assert ObjectCache().seen(deployment()).digest != ObjectCache().seen(deployment()).digest


# -- autoscaling -----------------------------------------------------------------------


def test_a_deployment_marked_by_the_handover_is_handed_to_that_autoscaler() -> None:
    assert autoscaler_of(handed_over(deployment())) == "web"


def test_the_mark_set_by_another_manager_says_nothing() -> None:
    assert autoscaler_of(handed_over(deployment(), manager="kubectl")) is None


def test_a_deployment_without_the_mark_is_not_autoscaled() -> None:
    assert autoscaler_of(deployment()) is None


def test_a_record_carries_the_autoscaler() -> None:
    cache = ObjectCache()

    assert cache.seen(handed_over(deployment())).autoscaler == "web"
