"""/v2/apps and friends: create, read, update (partial or not), scale, delete, versions, tasks."""

from __future__ import annotations

import re

from orchsdk_marathon.testing import MarathonEmulator

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def create(api, body):
    response = api.post("/v2/apps", json=body)
    assert response.status_code == 201, response.text
    return response


class TestCreate:
    def test_post_answers_201_with_location_deployment_header_and_app_info(self, api, web):
        response = create(api, web())
        body = response.json()
        deployment_id = response.headers["Marathon-Deployment-Id"]
        assert response.headers["Location"].endswith("/shop/web")
        assert body["id"] == "/shop/web"
        assert body["deployments"] == [{"id": deployment_id}]
        assert (body["tasksStaged"], body["tasksRunning"]) == (0, 0)
        assert (body["tasksHealthy"], body["tasksUnhealthy"]) == (0, 0)
        assert ISO.match(body["version"])
        assert body["versionInfo"] == {
            "lastScalingAt": body["version"],
            "lastConfigChangeAt": body["version"],
        }

    def test_the_stored_app_has_marathons_defaults(self, api, web):
        create(api, web())
        app = api.app("/shop/web")
        assert app["networks"] == [{"mode": "host"}]
        assert app["portDefinitions"] == [{"port": 10000, "name": "default", "protocol": "tcp"}]
        assert app["upgradeStrategy"] == {"minimumHealthCapacity": 1, "maximumOverCapacity": 1}
        assert app["killSelection"] == "YOUNGEST_FIRST"
        assert (app["disk"], app["gpus"], app["env"], app["secrets"]) == (0, 0, {}, {})

    def test_a_relative_id_is_made_absolute(self, api):
        response = create(api, {"id": "tools/cron", "cmd": "sleep 100"})
        assert response.json()["id"] == "/tools/cron"

    def test_posting_an_existing_id_is_409_already_exists(self, api, web, raml_error):
        create(api, web())
        response = api.post("/v2/apps", json=web())
        assert response.status_code == 409
        assert response.json() == {"message": "An app with id [/shop/web] already exists."}
        assert set(response.json()) == set(raml_error("objectCreator"))

    def test_read_only_fields_sent_back_are_ignored(self, make_api, web):
        body = web(tasksRunning=7, deployments=[{"id": "x"}], tasks=[])
        with MarathonEmulator(auto=False) as plain:  # no schema here: it would reject them
            response = make_api(plain.marathon_url).post("/v2/apps", json=body)
            assert response.status_code == 201
            stored = plain.app("/shop/web") or {}
            assert "tasksRunning" not in stored
            assert "tasks" not in stored


class TestRead:
    def test_get_one_app_embeds_tasks_counts_deployments_and_readiness(self, marathon, api, web):
        create(api, web())
        marathon.control.finish("/shop/web")
        app = api.app("/shop/web")
        assert len(app["tasks"]) == 2
        assert app["tasksRunning"] == 2
        assert app["deployments"] == []
        assert app["readinessCheckResults"] == []

    def test_missing_app_is_404_with_marathons_message(self, api, raml_examples):
        response = api.get("/v2/apps/nope")
        assert response.status_code == 404
        assert response.json() == {"message": "App '/nope' does not exist"}

    def test_list_embeds_counts_and_deployments_by_default_and_tasks_on_demand(
        self, marathon, api, web
    ):
        create(api, web())
        marathon.control.finish("/shop/web")
        plain = api.get("/v2/apps").json()["apps"][0]
        assert "tasksRunning" in plain
        assert "deployments" in plain
        assert "tasks" not in plain
        embedded = api.get("/v2/apps", params={"embed": "apps.tasks"}).json()["apps"][0]
        assert len(embedded["tasks"]) == 2
        for embed in ("app.tasks", "tasks"):  # prefixes app., apps. or none
            assert "tasks" in api.get("/v2/apps", params={"embed": embed}).json()["apps"][0]

    def test_last_task_failure_is_embedded_when_asked(self, marathon, api, web):
        create(api, web())
        marathon.control.fail("/shop/web")
        apps = api.get("/v2/apps", params={"embed": "apps.lastTaskFailure"}).json()["apps"]
        assert apps[0]["lastTaskFailure"]["state"] == "TASK_FAILED"

    def test_list_filters_by_id_cmd_and_label_selector(self, api, web):
        create(api, web())
        create(api, web(id="/shop/api", cmd="java -jar api.jar", labels={"app": "api"}))
        create(api, web(id="/ops/cron", labels={"app": "cron", "tier": "back"}))

        def ids(**params):
            return [app["id"] for app in api.get("/v2/apps", params=params).json()["apps"]]

        assert ids(id="/shop") == ["/shop/api", "/shop/web"]
        assert ids(cmd="JAVA") == ["/shop/api"]
        assert ids(label="app==web") == ["/shop/web"]
        assert ids(label="tier") == ["/ops/cron", "/shop/web"]
        assert ids(label="tier!=front") == ["/ops/cron"]
        assert ids(label="app in (api, cron)") == ["/ops/cron", "/shop/api"]
        assert ids(label="app notin (api, cron), tier") == ["/shop/web"]


class TestUpdate:
    def test_put_defaults_to_a_partial_update(self, marathon, api, web):
        create(api, web())
        marathon.control.finish("/shop/web")
        response = api.put("/v2/apps/shop/web", json={"env": {"MODE": "fast"}})
        assert response.status_code == 200
        app = api.app("/shop/web")
        assert app["env"] == {"MODE": "fast"}
        assert app["labels"] == {"app": "web", "tier": "front"}  # kept
        assert app["instances"] == 2

    def test_put_with_partial_update_false_replaces_the_whole_definition(self, marathon, api, web):
        create(api, web())
        marathon.control.finish("/shop/web")
        response = api.put(
            "/v2/apps/shop/web",
            params={"partialUpdate": "false"},
            json={"cmd": "sleep 1000", "env": {"MODE": "fast"}},
        )
        assert response.status_code == 200
        app = api.app("/shop/web")
        assert app["labels"] == {}  # gone, back to the default
        assert app["instances"] == 1
        assert app["cmd"] == "sleep 1000"

    def test_put_answers_deployment_result_with_header(self, marathon, api, web):
        create(api, web())
        marathon.control.finish("/shop/web")
        response = api.put("/v2/apps/shop/web", json={"cmd": "sleep 10"})
        body = response.json()
        assert set(body) == {"deploymentId", "version"}
        assert response.headers["Marathon-Deployment-Id"] == body["deploymentId"]
        assert ISO.match(body["version"])
        assert api.app("/shop/web")["version"] == body["version"]

    def test_put_of_a_missing_app_creates_it_with_201(self, api, web):
        response = api.put("/v2/apps/shop/new", json=web(id="/ignored"))
        assert response.status_code == 201
        assert response.headers["Location"].endswith("/shop/new")
        assert api.app("/shop/new")["instances"] == 2

    def test_patch_updates_and_never_creates(self, marathon, api, web):
        assert api.patch("/v2/apps/shop/web", json={"instances": 3}).status_code == 404
        create(api, web())
        marathon.control.finish("/shop/web")
        response = api.patch("/v2/apps/shop/web", json={"labels": {"app": "web2"}})
        assert response.status_code == 200
        app = api.app("/shop/web")
        assert app["labels"] == {"app": "web2"}
        assert app["cmd"] == WEB_CMD

    def test_an_unchanged_put_makes_no_version_and_finishes_at_once(self, marathon, api, web):
        create(api, web())
        marathon.control.finish("/shop/web")
        before = api.get("/v2/apps/shop/web/versions").json()["versions"]
        response = api.put("/v2/apps/shop/web", params={"partialUpdate": "false"}, json=web())
        assert response.status_code == 200
        assert api.deployments() == []
        assert api.get("/v2/apps/shop/web/versions").json()["versions"] == before
        success = marathon.events.of_type("deployment_success")
        assert success[-1]["id"] == response.json()["deploymentId"]

    def test_scaling_changes_only_instances_and_last_scaling_at(self, marathon, api, web):
        create(api, web())
        marathon.control.finish("/shop/web")
        before = api.app("/shop/web")
        response = api.put("/v2/apps/shop/web", json={"instances": 4})
        assert response.status_code == 200
        deployment = api.deployments()[0]
        assert deployment["steps"] == [
            {"actions": [{"action": "ScaleApplication", "app": "/shop/web"}]}
        ]
        marathon.control.finish("/shop/web")
        after = api.app("/shop/web")
        assert after["tasksRunning"] == 4
        assert (
            after["versionInfo"]["lastConfigChangeAt"]
            == (before["versionInfo"]["lastConfigChangeAt"])
        )
        assert after["versionInfo"]["lastScalingAt"] == after["version"] != before["version"]
        old_ids = {task["id"] for task in before["tasks"]}
        assert old_ids <= {task["id"] for task in after["tasks"]}  # no restart

    def test_scaling_down_kills_the_youngest_tasks(self, marathon, api, web):
        create(api, web(instances=1))
        marathon.control.finish("/shop/web")
        (first,) = api.app("/shop/web")["tasks"]
        api.put("/v2/apps/shop/web", json={"instances": 3})
        marathon.control.finish("/shop/web")
        api.put("/v2/apps/shop/web", json={"instances": 1})
        marathon.control.finish("/shop/web")
        left = api.app("/shop/web")["tasks"]
        assert [task["id"] for task in left] == [first["id"]]

    def test_service_ports_are_kept_across_updates(self, marathon, api, web):
        create(api, web())
        port = api.app("/shop/web")["portDefinitions"][0]["port"]
        marathon.control.finish("/shop/web")
        api.put("/v2/apps/shop/web", params={"partialUpdate": "false"}, json=web(cmd="sleep 9"))
        assert api.app("/shop/web")["portDefinitions"][0]["port"] == port


WEB_CMD = "python3 -m http.server $PORT0"


class TestDeleteAndRestart:
    def test_delete_removes_the_app_at_once_and_stops_its_tasks(self, marathon, api, web):
        create(api, web())
        marathon.control.finish("/shop/web")
        response = api.delete("/v2/apps/shop/web")
        assert response.status_code == 200
        assert set(response.json()) == {"deploymentId", "version"}
        assert api.get("/v2/apps/shop/web").status_code == 404
        (deployment,) = api.deployments()
        assert deployment["currentActions"][0]["action"] == "StopApplication"
        marathon.control.finish("/shop/web")
        assert api.deployments() == []
        statuses = marathon.events.of_type("status_update_event")
        assert sum(event["taskStatus"] == "TASK_KILLED" for event in statuses) == 2

    def test_delete_of_a_missing_app_is_404(self, api, raml_examples):
        response = api.delete("/v2/apps/nope")
        assert response.status_code == 404
        assert response.json() == {"message": "App '/nope' does not exist"}

    def test_delete_forces_by_default_but_not_with_force_false(self, marathon, api, web):
        create(api, web())  # its deployment is still running: the app is locked
        locked = api.delete("/v2/apps/shop/web", params={"force": "false"})
        assert locked.status_code == 409
        assert api.delete("/v2/apps/shop/web").status_code == 200

    def test_restart_replaces_every_task_with_a_new_version(self, marathon, api, web):
        create(api, web())
        marathon.control.finish("/shop/web")
        before = api.app("/shop/web")
        response = api.post("/v2/apps/shop/web/restart")
        assert response.status_code == 200
        assert api.deployments()[0]["steps"][0]["actions"][0]["action"] == "RestartApplication"
        marathon.control.finish("/shop/web")
        after = api.app("/shop/web")
        assert {t["id"] for t in before["tasks"]}.isdisjoint(t["id"] for t in after["tasks"])
        assert after["version"] > before["version"]
        assert api.post("/v2/apps/nope/restart").status_code == 404


class TestVersionsAndRollback:
    def test_each_change_stores_a_version_newest_first(self, marathon, api, web):
        create(api, web())
        marathon.control.finish("/shop/web")
        api.put("/v2/apps/shop/web", json={"cmd": "sleep 2"})
        marathon.control.finish("/shop/web")
        api.put("/v2/apps/shop/web", json={"instances": 3})
        marathon.control.finish("/shop/web")
        versions = api.get("/v2/apps/shop/web/versions").json()["versions"]
        assert len(versions) == 3
        assert versions == sorted(versions, reverse=True)
        assert all(ISO.match(version) for version in versions)
        oldest = api.get(f"/v2/apps/shop/web/versions/{versions[-1]}").json()
        assert oldest["cmd"] == WEB_CMD
        assert oldest["version"] == versions[-1]

    def test_unknown_version_and_unknown_app_are_404(self, api, web):
        create(api, web())
        response = api.get("/v2/apps/shop/web/versions/2000-01-01T00:00:00.000Z")
        assert response.status_code == 404
        assert response.json() == {
            "message": "App '/shop/web' does not exist in version 2000-01-01T00:00:00.000Z"
        }
        assert api.get("/v2/apps/nope/versions").status_code == 404

    def test_put_of_a_version_rolls_back_to_it_as_a_new_version(self, marathon, api, web):
        create(api, web())
        marathon.control.finish("/shop/web")
        first = api.app("/shop/web")["version"]
        api.put("/v2/apps/shop/web", json={"cmd": "sleep 2", "labels": {}})
        marathon.control.finish("/shop/web")
        response = api.put("/v2/apps/shop/web", json={"version": first})
        assert response.status_code == 200
        marathon.control.finish("/shop/web")
        app = api.app("/shop/web")
        assert (app["cmd"], app["labels"]) == (WEB_CMD, WEB_LABELS)
        assert app["version"] == response.json()["version"] > first
        assert {task["version"] for task in app["tasks"]} == {app["version"]}

    def test_rollback_to_an_unknown_version_is_404_and_version_mixes_with_nothing(
        self, marathon, api, web
    ):
        create(api, web())
        missing = api.put("/v2/apps/shop/web", json={"version": "2000-01-01T00:00:00.000Z"})
        assert missing.status_code == 404
        mixed = api.put("/v2/apps/shop/web", json={"version": "x", "instances": 1})
        assert mixed.status_code == 422
        assert mixed.json()["details"] == [
            {
                "path": "/",
                "errors": ["The 'version' field may only be combined with the 'id' field."],
            }
        ]


WEB_LABELS = {"app": "web", "tier": "front"}


class TestTasks:
    def test_app_tasks_have_ids_hosts_ports_and_addresses(self, marathon, api, web):
        create(api, web(instances=3))
        marathon.control.finish("/shop/web")
        response = api.get("/v2/apps/shop/web/tasks", headers={"Accept": "application/json"})
        tasks = response.json()["tasks"]
        assert len(tasks) == 3
        service_port = api.app("/shop/web")["portDefinitions"][0]["port"]
        for task in tasks:
            assert re.match(r"^shop_web\.instance-[0-9a-f-]{36}\._app\.1$", task["id"])
            assert re.match(r"^agent-\d\.emulator$", task["host"])
            assert 31000 <= task["ports"][0] <= 32000
            assert task["servicePorts"] == [service_port]
            assert task["ipAddresses"][0]["protocol"] == "IPv4"
            assert task["state"] == "TASK_RUNNING"
            assert task["appId"] == "/shop/web"
            assert "healthCheckResults" not in task  # no health checks
        assert len({task["host"] for task in tasks}) == 2  # spread over both agents
        assert len({task["ports"][0] for task in tasks}) == 3

    def test_tasks_of_an_app_with_health_checks_report_them(self, marathon, api, web):
        check = {"protocol": "MESOS_HTTP", "path": "/health"}
        create(api, web(healthChecks=[check]))
        marathon.control.finish("/shop/web")
        task = api.get("/v2/apps/shop/web/tasks").json()["tasks"][0]
        (result,) = task["healthCheckResults"]
        assert result["alive"] is True
        assert result["consecutiveFailures"] == 0
        assert task["id"].startswith(result["instanceId"])

    def test_bridge_apps_get_service_ports_from_10000_and_host_ports(self, marathon, api):
        body = {
            "id": "/bridged",
            "container": {
                "type": "DOCKER",
                "docker": {"image": "nginx:1.27"},
                "portMappings": [{"containerPort": 80, "name": "http"}],
            },
            "networks": [{"mode": "container/bridge"}],
        }
        create(api, body)
        marathon.control.finish("/bridged")
        app = api.app("/bridged")
        (mapping,) = app["container"]["portMappings"]
        assert mapping["hostPort"] == 0  # bridge: a missing host port means dynamic
        assert mapping["servicePort"] >= 10000
        task = app["tasks"][0]
        assert task["servicePorts"] == [mapping["servicePort"]]
        assert task["ports"][0] >= 31000

    def test_all_tasks_with_a_status_filter_and_text_form(self, marathon, api, web):
        create(api, web())
        marathon.control.step("/shop/web")
        marathon.control.step("/shop/web")  # staged
        assert len(api.get("/v2/tasks", params={"status": "staging"}).json()["tasks"]) == 2
        assert api.get("/v2/tasks", params={"status": "running"}).json()["tasks"] == []
        marathon.control.finish("/shop/web")
        assert len(api.get("/v2/tasks").json()["tasks"]) == 2
        text = api.get("/v2/apps/shop/web/tasks", headers={"Accept": "text/plain"})
        assert text.headers["Content-Type"] == "text/plain"
        name, service_port, *endpoints = text.text.strip().split("\t")
        assert name == "shop_web"
        assert int(service_port) >= 10000
        assert len(endpoints) == 2
        assert api.get("/v2/apps/nope/tasks").status_code == 404


class TestGroupsInfoAndMore:
    def test_groups_are_made_from_app_ids(self, api, web):
        create(api, web())
        create(api, web(id="/shop/back/db"))
        root = api.get("/v2/groups").json()
        assert root["id"] == "/"
        (shop,) = root["groups"]
        assert shop["id"] == "/shop"
        assert [app["id"] for app in shop["apps"]] == ["/shop/web"]
        assert [group["id"] for group in shop["groups"]] == ["/shop/back"]
        back = api.get("/v2/groups/shop/back").json()
        assert [app["id"] for app in back["apps"]] == ["/shop/back/db"]
        assert ISO.match(back["version"])
        response = api.get("/v2/groups/nope")
        assert response.status_code == 404
        assert response.json() == {"message": "Group '/nope' does not exist"}

    def test_deleting_a_group_stops_its_apps(self, marathon, api, web):
        create(api, web())
        create(api, web(id="/shop/back/db"))
        create(api, web(id="/ops/cron"))
        for app_id in ("/shop/web", "/shop/back/db", "/ops/cron"):
            marathon.control.finish(app_id)
        response = api.delete("/v2/groups/shop")
        assert response.status_code == 200
        assert set(response.json()) == {"deploymentId", "version"}
        assert [app["id"] for app in api.get("/v2/apps").json()["apps"]] == ["/ops/cron"]
        assert api.get("/v2/groups/shop").status_code == 404
        (deployment,) = api.deployments()
        assert deployment["affectedApps"] == ["/shop/back/db", "/shop/web"]

    def test_info_lists_the_secrets_feature_only_with_secrets(self, make_api):
        for secrets, features in ((True, ["secrets"]), (False, [])):
            with MarathonEmulator(secrets=secrets, auto=False) as emulator:
                info = make_api(emulator.marathon_url).get("/v2/info").json()
                assert info["marathon_config"]["features"] == features
                assert info["name"] == "marathon"
                assert info["elected"] is True
                assert info["leader"] == emulator.marathon_url.removeprefix("http://")
                assert info["marathon_config"]["local_port_min"] == 10000

    def test_leader_and_ping(self, marathon, api):
        assert api.get("/v2/leader").json() == {"leader": marathon.marathon_url[7:]}
        pong = api.get("/ping")
        assert (pong.status_code, pong.text) == (200, "pong")

    def test_unknown_paths_and_methods(self, api):
        assert api.get("/v2/nothing").status_code == 404
        assert api.post("/v2/deployments").status_code == 405
