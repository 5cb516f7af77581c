"""Deployments: steps, the clock, locks and force, failure, revert, rolling restarts."""

from __future__ import annotations

import re
import time

import pytest
from orchsdk_marathon.testing import MarathonEmulator

LOCKED = re.compile(
    r"^App is locked by one or more deployments\. Override with the option '\?force=true'\. "
    r"View details at '/v2/deployments/(?P<id>[0-9a-f-]{36})'\.$"
)
CHECKED = {"protocol": "MESOS_HTTP", "path": "/health"}


def counts(api, app_id="/shop/web"):
    app = api.app(app_id)
    return (app["tasksStaged"], app["tasksRunning"], app["tasksHealthy"])


class TestSteps:
    def test_a_new_app_starts_then_scales_through_staged_running_healthy(self, marathon, api, web):
        response = api.post("/v2/apps", json=web(healthChecks=[CHECKED]))
        deployment_id = response.headers["Marathon-Deployment-Id"]
        (deployment,) = api.deployments()
        assert deployment == {
            "id": deployment_id,
            "version": response.json()["version"],
            "affectedApps": ["/shop/web"],
            "affectedPods": [],
            "steps": [
                {"actions": [{"action": "StartApplication", "app": "/shop/web"}]},
                {"actions": [{"action": "ScaleApplication", "app": "/shop/web"}]},
            ],
            "currentActions": [
                {"action": "StartApplication", "app": "/shop/web", "readinessCheckResults": []}
            ],
            "currentStep": 1,
            "totalSteps": 2,
        }
        assert marathon.control.step("/shop/web")
        assert api.deployments()[0]["currentStep"] == 2
        assert api.deployments()[0]["currentActions"][0]["action"] == "ScaleApplication"
        assert counts(api) == (0, 0, 0)
        marathon.control.step("/shop/web")
        assert counts(api) == (2, 0, 0)
        assert api.app("/shop/web")["tasks"][0]["state"] == "TASK_STAGING"
        marathon.control.step("/shop/web")
        assert counts(api) == (0, 2, 0)
        assert api.app("/shop/web")["tasks"][0]["healthCheckResults"] == []
        assert api.deployments() != []
        assert not marathon.control.step("/shop/web")
        assert counts(api) == (0, 2, 2)
        assert api.deployments() == []
        (success,) = marathon.events.of_type("deployment_success")
        assert success["id"] == deployment_id

    def test_without_health_checks_running_is_enough(self, marathon, api, web):
        api.post("/v2/apps", json=web())
        for _ in range(3):
            marathon.control.step("/shop/web")
        assert api.deployments() == []
        assert counts(api) == (0, 2, 0)

    def test_events_follow_the_tasks(self, marathon, api, web):
        api.post("/v2/apps", json=web(instances=1, healthChecks=[CHECKED]))
        marathon.control.finish("/shop/web")
        statuses = [e["taskStatus"] for e in marathon.events.of_type("status_update_event")]
        assert statuses == ["TASK_STAGING", "TASK_RUNNING"]
        (health,) = marathon.events.of_type("instance_health_changed_event")
        assert health["healthy"] is True
        assert health["runSpecId"] == "/shop/web"
        infos = marathon.events.of_type("deployment_info")
        assert [info["currentStep"]["actions"][0]["action"] for info in infos] == [
            "StartApplication",
            "ScaleApplication",
        ]


class TestClock:
    def test_a_deployment_finishes_on_its_own_quickly(self, clocked, make_api, web, wait_until):
        api = make_api(clocked.marathon_url)
        started = time.monotonic()
        api.post("/v2/apps", json=web(healthChecks=[CHECKED]))
        wait_until(lambda: api.deployments() == [], timeout=2)
        assert time.monotonic() - started < 1.5
        assert counts(api) == (0, 2, 2)

    def test_the_default_finishes_within_about_a_second(self, make_api, web, wait_until):
        with MarathonEmulator() as emulator:
            api = make_api(emulator.marathon_url)
            api.post("/v2/apps", json=web(healthChecks=[CHECKED]))
            wait_until(lambda: api.deployments() == [], timeout=1.5)

    def test_hold_stops_the_clock_for_an_app_and_release_resumes(
        self, clocked, make_api, web, wait_until
    ):
        api = make_api(clocked.marathon_url)
        clocked.control.hold("/shop/web")
        api.post("/v2/apps", json=web())
        api.post("/v2/apps", json=web(id="/other"))
        wait_until(lambda: [d["affectedApps"] for d in api.deployments()] == [["/shop/web"]])
        time.sleep(0.2)
        assert api.deployments()[0]["currentStep"] == 1
        clocked.control.release("/shop/web")
        wait_until(lambda: api.deployments() == [])


class TestLocks:
    def test_a_write_during_a_deployment_gets_409_with_its_id(self, marathon, api, web, raml_error):
        deployment_id = api.post("/v2/apps", json=web()).headers["Marathon-Deployment-Id"]
        response = api.put("/v2/apps/shop/web", json={"cmd": "sleep 5"})
        assert response.status_code == 409
        body = response.json()
        assert body["deployments"] == [{"id": deployment_id}]
        match = LOCKED.match(body["message"])
        assert match is not None
        assert match["id"] == deployment_id
        # the same shape as the RAML example of the "deployable" trait
        example_text = (
            "App is locked by one or more deployments. Override with the option "
            "'?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'."
        )
        assert body["message"].replace(deployment_id, "<DEPLOYMENT_ID>") == example_text
        for write in (
            lambda: api.patch("/v2/apps/shop/web", json={"instances": 1}),
            lambda: api.post("/v2/apps/shop/web/restart"),
            lambda: api.put("/v2/apps/shop/web", json={"instances": 5}),
        ):
            assert write().status_code == 409

    def test_force_cancels_the_running_deployment_and_starts_the_new_one(self, marathon, api, web):
        first = api.post("/v2/apps", json=web()).headers["Marathon-Deployment-Id"]
        response = api.put("/v2/apps/shop/web", params={"force": "true"}, json={"cmd": "x y"})
        assert response.status_code == 200
        (deployment,) = api.deployments()
        assert deployment["id"] == response.json()["deploymentId"] != first
        assert [e["id"] for e in marathon.events.of_type("deployment_failed")] == [first]
        marathon.control.finish("/shop/web")
        assert api.app("/shop/web")["cmd"] == "x y"

    def test_control_lock_holds_a_deployment_until_released(
        self, clocked, make_api, web, wait_until
    ):
        api = make_api(clocked.marathon_url)
        api.post("/v2/apps", json=web())
        wait_until(lambda: api.deployments() == [])
        lock_id = clocked.control.lock("/shop/web")
        response = api.put("/v2/apps/shop/web", json={"instances": 3})
        assert response.status_code == 409
        assert response.json()["deployments"] == [{"id": lock_id}]
        assert api.deployments()[0]["id"] == lock_id
        clocked.control.release("/shop/web")
        wait_until(lambda: api.deployments() == [])
        assert api.put("/v2/apps/shop/web", json={"instances": 3}).status_code == 200

    def test_lock_of_an_unknown_app_is_an_error(self, marathon):
        with pytest.raises(KeyError):
            marathon.control.lock("/nope")


class TestFailure:
    def test_fail_ends_the_deployment_and_keeps_the_old_tasks(self, marathon, api, web):
        api.post("/v2/apps", json=web())
        marathon.control.finish("/shop/web")
        old = {task["id"] for task in api.app("/shop/web")["tasks"]}
        deployment_id = api.put("/v2/apps/shop/web", json={"cmd": "sleep 9"}).json()["deploymentId"]
        marathon.control.step("/shop/web")  # new tasks staged, old ones still up
        assert marathon.control.fail("/shop/web") == [deployment_id]
        assert api.deployments() == []
        (failed,) = marathon.events.of_type("deployment_failed")
        assert failed["id"] == deployment_id
        app = api.app("/shop/web")
        assert {task["id"] for task in app["tasks"]} == old
        assert app["cmd"] == "sleep 9"  # Marathon keeps the new definition
        assert app["lastTaskFailure"]["state"] == "TASK_FAILED"
        statuses = [e["taskStatus"] for e in marathon.events.of_type("status_update_event")]
        assert "TASK_FAILED" in statuses


class TestDeleteDeployment:
    def test_delete_reverts_with_a_new_deployment(self, marathon, api, web):
        api.post("/v2/apps", json=web())
        marathon.control.finish("/shop/web")
        changing = api.put("/v2/apps/shop/web", json={"cmd": "sleep 9"}).json()["deploymentId"]
        response = api.delete(f"/v2/deployments/{changing}")
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"deploymentId", "version"}
        (reverting,) = api.deployments()
        assert reverting["id"] == body["deploymentId"] != changing
        marathon.control.finish("/shop/web")
        app = api.app("/shop/web")
        assert app["cmd"] == "python3 -m http.server $PORT0"
        assert app["tasksRunning"] == 2
        assert {task["version"] for task in app["tasks"]} == {app["version"]}

    def test_delete_of_a_creation_removes_the_app(self, marathon, api, web):
        created = api.post("/v2/apps", json=web()).headers["Marathon-Deployment-Id"]
        assert api.delete(f"/v2/deployments/{created}").status_code == 200
        assert api.get("/v2/apps/shop/web").status_code == 404

    def test_delete_with_force_cancels_without_rollback(self, marathon, api, web):
        api.post("/v2/apps", json=web())
        marathon.control.finish("/shop/web")
        changing = api.put("/v2/apps/shop/web", json={"cmd": "sleep 9"}).json()["deploymentId"]
        marathon.control.step("/shop/web")
        response = api.delete(f"/v2/deployments/{changing}", params={"force": "true"})
        assert (response.status_code, response.content) == (202, b"")
        assert api.deployments() == []
        app = api.app("/shop/web")
        assert app["cmd"] == "sleep 9"
        assert len({task["version"] for task in app["tasks"]}) == 2  # mixed, as documented

    def test_unknown_deployment_is_404(self, api):
        response = api.delete("/v2/deployments/nope")
        assert response.status_code == 404
        assert response.json() == {"message": "DeploymentPlan nope does not exist"}


class TestRollingRestart:
    @pytest.mark.parametrize(
        ("strategy", "lowest", "highest"),
        [
            ({"minimumHealthCapacity": 1, "maximumOverCapacity": 1}, 4, 8),
            ({"minimumHealthCapacity": 0.5, "maximumOverCapacity": 0}, 2, 4),
            ({"minimumHealthCapacity": 1, "maximumOverCapacity": 0}, 4, 5),
            ({"minimumHealthCapacity": 0, "maximumOverCapacity": 0}, 0, 4),
        ],
    )
    def test_the_upgrade_strategy_bounds_ready_and_total_tasks(
        self, marathon, api, web, strategy, lowest, highest
    ):
        api.post("/v2/apps", json=web(instances=4, upgradeStrategy=strategy))
        marathon.control.finish("/shop/web")
        api.put("/v2/apps/shop/web", json={"cmd": "sleep 9"})
        version = api.app("/shop/web")["version"]
        seen_ready, seen_total = [], []
        for _ in range(50):
            busy = marathon.control.step("/shop/web")
            tasks = api.app("/shop/web")["tasks"]
            seen_total.append(len(tasks))
            seen_ready.append(sum(task["state"] == "TASK_RUNNING" for task in tasks))
            if not busy:
                break
        assert not busy
        assert min(seen_ready) >= lowest
        assert max(seen_total) <= highest
        tasks = api.app("/shop/web")["tasks"]
        assert len(tasks) == 4
        assert {task["version"] for task in tasks} == {version}

    def test_scale_is_its_own_deployment_without_restart(self, marathon, api, web):
        api.post("/v2/apps", json=web())
        marathon.control.finish("/shop/web")
        api.put("/v2/apps/shop/web", json={"instances": 3})
        (deployment,) = api.deployments()
        assert deployment["currentActions"][0]["action"] == "ScaleApplication"
        assert deployment["totalSteps"] == 1
        marathon.control.finish("/shop/web")
        assert counts(api) == (0, 3, 0)
