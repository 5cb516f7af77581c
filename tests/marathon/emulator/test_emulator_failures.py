"""Tasks that fail, apps that no agent can hold, and tasks being killed, in Marathon's and
Mesos' own JSON: ``lastTaskFailure``, ``status_update_event``, ``/v2/queue``."""

from __future__ import annotations

import pytest
from orchsdk_marathon.testing import MarathonEmulator
from orchsdk_marathon.testing.agents import FUNNEL


def create(api, body):
    response = api.post("/v2/apps", json=body)
    assert response.status_code == 201, response.text


def steps(marathon, count, app_id="/shop/web"):
    """``count`` ticks after the one that starts the app (its tasks launch on the next)."""
    for _ in range(count + 1):
        marathon.control.step(app_id)


def queue_item(api, app_id="/shop/web", **params):
    items = api.get("/v2/queue", params=params).json()["queue"]
    return next((item for item in items if item["app"]["id"] == app_id), None)


def docker(image):
    return {"type": "DOCKER", "docker": {"image": image}}


def failed_updates(marathon):
    return [
        event
        for event in marathon.events.of_type("status_update_event")
        if event["taskStatus"] == "TASK_FAILED"
    ]


class TestImagePull:
    def test_a_task_of_an_invalid_registry_fails_while_staged(self, marathon, api, web):
        create(api, web(instances=1, container=docker("registry.invalid/app:1")))
        steps(marathon, 2)
        failure = api.app("/shop/web")["lastTaskFailure"]
        assert failure["state"] == "TASK_FAILED"
        assert "pull registry.invalid/app:1" in failure["message"]
        assert "lookup registry.invalid: no such host" in failure["message"]
        assert set(failure) == {
            "appId", "host", "message", "slaveId", "state", "taskId", "timestamp", "version",
        }  # fmt: skip

    def test_the_failed_instance_is_launched_again_one_incarnation_up(self, marathon, api, web):
        create(api, web(instances=1, container=docker("registry.invalid/app:1")))
        steps(marathon, 8)
        first, second = (event["taskId"] for event in failed_updates(marathon)[:2])
        assert first.endswith("._app.1")
        assert second == first.removesuffix("1") + "2"

    def test_the_mesos_containerizer_names_the_image(self, marathon, api, web):
        create(
            api, web(instances=1, container={"type": "MESOS", "docker": {"image": "x.invalid/a"}})
        )
        steps(marathon, 2)
        assert (
            "Could not resolve host: x.invalid"
            in api.app("/shop/web")["lastTaskFailure"]["message"]
        )


class TestCrash:
    def test_a_false_command_runs_then_fails_with_exit_status_1(self, marathon, api, web):
        create(api, web(instances=1, cmd="false"))
        steps(marathon, 3)
        states = [event["taskStatus"] for event in marathon.events.of_type("status_update_event")]
        assert states[:3] == ["TASK_STAGING", "TASK_RUNNING", "TASK_FAILED"]
        assert failed_updates(marathon)[0]["message"] == "Command exited with status 1"

    @pytest.mark.parametrize("args", [["/bin/false"], ["sh", "-c", "exit 1"]])
    def test_args_that_exit_1_crash_too(self, marathon, api, web, args):
        body = web(instances=1, container=docker("nginx"), args=args)
        del body["cmd"]
        create(api, body)
        steps(marathon, 3)
        assert failed_updates(marathon)[0]["message"] == "Container exited with status 1"

    def test_a_crashing_app_is_backed_off_in_the_queue(self, marathon, api, web):
        create(api, web(instances=1, cmd="false"))
        steps(marathon, 3)
        item = queue_item(api)
        assert (item["count"], item["delay"]["overdue"]) == (1, False)
        assert item["delay"]["timeLeftSeconds"] >= 1

    def test_its_deployment_never_finishes(self, marathon, api, web):
        create(api, web(instances=1, cmd="false"))
        steps(marathon, 30)
        assert len(api.deployments()) == 1


class TestMissingSecret:
    def test_a_secret_not_in_the_store_fails_the_task(self, marathon, api, web):
        secrets = {"db": {"source": "shop/db/password"}}
        create(api, web(instances=1, secrets=secrets, env={"PW": {"secret": "db"}}))
        steps(marathon, 2)
        failure = api.app("/shop/web")["lastTaskFailure"]
        assert failure["message"] == (
            "Failed to launch container: Failed to resolve secrets: "
            "secret 'shop/db/password' not found"
        )

    def test_a_secret_in_the_store_is_resolved(self, marathon, api, web):
        marathon.secret_store.values["shop/db/password"] = "s3cr3t"
        secrets = {"db": {"source": "shop/db/password"}}
        create(api, web(instances=1, secrets=secrets, env={"PW": {"secret": "db"}}))
        marathon.control.finish("/shop/web")
        assert "lastTaskFailure" not in api.app("/shop/web")


class TestQueue:
    def test_an_app_no_agent_can_hold_waits_with_its_declined_offers(self, marathon, api, web):
        create(api, web(instances=1, cpus=8))
        steps(marathon, 1)
        item = queue_item(api)
        summary = item["processedOffersSummary"]
        last = {step["reason"]: step for step in summary["rejectSummaryLastOffers"]}
        assert [step["reason"] for step in summary["rejectSummaryLastOffers"]] == list(FUNNEL)
        assert last["InsufficientCpus"] == {
            "reason": "InsufficientCpus",
            "declined": 2,
            "processed": 2,
        }
        assert last["InsufficientMemory"]["processed"] == 0
        assert (item["count"], item["delay"]) == (1, {"timeLeftSeconds": 0, "overdue": True})
        assert summary["unusedOffersCount"] == summary["processedOffersCount"] >= 2
        assert "lastUsedOfferAt" not in summary

    def test_unused_offers_are_embedded_with_their_reasons(self, marathon, api, web):
        create(api, web(instances=1, constraints=[["zone", "IS", "nowhere"]]))
        steps(marathon, 1)
        offers = queue_item(api, embed="lastUnusedOffers")["lastUnusedOffers"]
        assert sorted(offer["offer"]["hostname"] for offer in offers) == [
            "agent-1.emulator",
            "agent-2.emulator",
        ]
        assert all(offer["reason"] == ["UnfulfilledConstraint"] for offer in offers)
        attributes = {offer["offer"]["attributes"][0]["text"] for offer in offers}
        assert attributes == {"zone-a", "zone-b"}

    def test_a_placed_app_leaves_the_queue(self, marathon, api, web):
        create(api, web(instances=2, constraints=[["hostname", "UNIQUE"]]))
        marathon.control.finish("/shop/web")
        assert queue_item(api) is None

    def test_unique_hosts_beyond_the_agents_wait_for_an_agent(self, marathon, api, web):
        create(api, web(instances=3, constraints=[["hostname", "UNIQUE"]]))
        steps(marathon, 3)
        assert queue_item(api)["count"] == 1
        assert len(api.app("/shop/web")["tasks"]) == 2


class TestKilling:
    def test_a_scaled_down_task_lingers_in_task_killing(self, marathon, api, web):
        create(api, web(instances=2))
        marathon.control.finish("/shop/web")
        api.put("/v2/apps/shop/web", json={"instances": 1})
        steps(marathon, 1)
        states = sorted(task["state"] for task in api.app("/shop/web")["tasks"])
        assert states == ["TASK_KILLING", "TASK_RUNNING"]
        assert len(api.deployments()) == 1  # the scale is done once the task is gone
        marathon.control.finish("/shop/web")
        assert [task["state"] for task in api.app("/shop/web")["tasks"]] == ["TASK_RUNNING"]
        assert api.deployments() == []

    def test_the_grace_period_is_an_option(self, api, web):
        with MarathonEmulator(auto=False, kill_grace_seconds=0) as quick:
            quick_api = type(api)(quick.marathon_url)
            create(quick_api, web(instances=2))
            quick.control.finish("/shop/web")
            quick_api.put("/v2/apps/shop/web", json={"instances": 1})
            steps(quick, 1)
            assert [task["state"] for task in quick_api.app("/shop/web")["tasks"]] == [
                "TASK_RUNNING"
            ]
            quick_api.close()

    def test_a_deleted_apps_stop_lasts_until_its_tasks_are_killed(self, marathon, api, web):
        create(api, web(instances=1))
        marathon.control.finish("/shop/web")
        api.delete("/v2/apps/shop/web")
        (deployment,) = api.deployments()
        marathon.control.tick()
        assert [d["id"] for d in api.deployments()] == [deployment["id"]]
        for _ in range(5):
            marathon.control.tick()
        assert api.deployments() == []
        killed = [e["taskStatus"] for e in marathon.events.of_type("status_update_event")]
        assert killed[-2:] == ["TASK_KILLING", "TASK_KILLED"]
