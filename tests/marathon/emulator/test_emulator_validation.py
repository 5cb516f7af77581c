"""Validation: Marathon's reading errors, its rules with their 422 bodies, and the schema."""

from __future__ import annotations

import copy
import json

import pytest
from orchsdk_marathon.testing import MarathonEmulator
from orchsdk_marathon.testing.validation import MESSAGES

ID_REGEX = (
    "must fully match regular expression '^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*"
    "([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\.\\.)$'"
)


def details(response):
    assert response.status_code == 422, response.text
    assert response.json()["message"] == "Object is not valid"
    return {detail["path"]: detail["errors"] for detail in response.json()["details"]}


class TestReading:
    def test_malformed_json_is_400_with_details_as_a_string(self, api):
        response = api.post(
            "/v2/apps", data=b'{"id": ', headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400
        body = response.json()
        assert body["message"] == "Invalid JSON"
        assert isinstance(body["details"], str)
        assert body["details"]

    def test_a_json_type_error_is_422_with_the_raml_example_body(self, api, raml_error):
        response = api.post("/v2/apps", json={"id": 1, "cmd": "sleep 1"})
        assert response.status_code == 422  # Marathon's mapper; the RAML documents 400
        assert response.json() == raml_error("jsonValidator")

    @pytest.mark.parametrize(
        ("body", "path", "error"),
        [
            ({"cmd": "sleep 1"}, "/id", "error.path.missing"),
            (
                {"id": "/a", "cmd": "sleep 1", "instances": "2"},
                "/instances",
                "error.expected.jsnumber",
            ),
            ({"id": "/a", "cmd": "sleep 1", "instances": 1.5}, "/instances", "error.expected.int"),
            ({"id": "/a", "cmd": "sleep 1", "cpus": True}, "/cpus", "error.expected.jsnumber"),
            ({"id": "/a", "args": "sleep 1"}, "/args", "error.expected.jsarray"),
            ({"id": "/a", "args": ["sleep", 1]}, "/args(1)", "error.expected.jsstring"),
            (
                {"id": "/a", "cmd": "sleep 1", "labels": {"x": 1}},
                "/labels/x",
                "error.expected.jsstring",
            ),
            (
                {"id": "/a", "cmd": "sleep 1", "env": {"X": {"secrt": "a"}}},
                "/env/X/secret",
                "error.expected.jsstring",
            ),
            (
                {"id": "/a", "cmd": "sleep 1", "requirePorts": "no"},
                "/requirePorts",
                "error.expected.jsboolean",
            ),
            (
                {"id": "/a", "container": {"docker": {}}},
                "/container/docker/image",
                "error.path.missing",
            ),
            (
                {"id": "/a", "cmd": "sleep 1", "networks": [{"mode": "bridge"}]},
                "/networks(0)/mode",
                "error.unknown.enum.literal",
            ),
            (
                {"id": "/a", "cmd": "sleep 1", "upgradeStrategy": {"minimumHealthCapacity": 1}},
                "/upgradeStrategy/maximumOverCapacity",
                "error.path.missing",
            ),
            (
                {"id": "/a", "cmd": "sleep 1", "constraints": [["hostname", 1]]},
                "/constraints(0)(1)",
                "error.expected.jsstring",
            ),
            ([{"id": "/a"}], "/", "error.expected.jsobject"),
        ],
    )
    def test_type_errors_name_the_path(self, api, body, path, error):
        response = api.post("/v2/apps", json=body)
        assert response.status_code == 422
        assert response.json() == {
            "message": "Invalid JSON",
            "details": [{"path": path, "errors": [error]}],
        }

    def test_null_reads_as_not_given(self, make_api):
        with MarathonEmulator(auto=False) as plain:  # the schema would reject null
            api = make_api(plain.marathon_url)
            body = {"id": "/a", "cmd": "sleep 1", "args": None, "user": None, "container": None}
            assert api.post("/v2/apps", json=body).status_code == 201


class TestRules:
    def test_the_raml_object_validator_example(self, api, raml_error, web):
        body = web(upgradeStrategy={"minimumHealthCapacity": 1.5, "maximumOverCapacity": 1})
        response = api.post("/v2/apps", json=body)
        assert response.status_code == 422
        assert response.json() == raml_error("objectValidator")

    @pytest.mark.parametrize(
        ("changes", "path", "error"),
        [
            ({"id": "/Shop/web"}, "/id", ID_REGEX),
            ({"id": "/shop/-web"}, "/id", ID_REGEX),
            ({"id": "/shop/web_1"}, "/id", ID_REGEX),
            (
                {"id": "/shop/tasks"},
                "/id",
                "must not end with any of the following reserved keywords: "
                "restart, tasks, versions",
            ),
            ({"id": "/"}, "/", "must not be root"),
            ({"id": "/"}, "/id", "Path must contain at least one path element"),
            ({"args": ["sleep", "1"]}, "/", MESSAGES["cmd_args"]),
            ({"cmd": None}, "/", MESSAGES["cmd_args"]),
            ({"cmd": "x"}, "/", "must not be an empty string"),
            ({"instances": -1}, "/instances", "got -1, expected 0 or more"),
            ({"cpus": 0}, "/cpus", "got 0, expected 0.001 or more"),
            ({"mem": -5}, "/mem", "got -5, expected 0.0 or more"),
            (
                {"upgradeStrategy": {"minimumHealthCapacity": 1, "maximumOverCapacity": -0.5}},
                "/upgradeStrategy/maximumOverCapacity",
                "is less than 0",
            ),
            (
                {"networks": [{"mode": "host"}, {"mode": "container/bridge"}]},
                "/networks",
                MESSAGES["network_modes"],
            ),
            (
                {"networks": [{"mode": "host", "name": "x"}]},
                "/networks",
                "Host networks may not have names or labels",
            ),
            (
                {
                    "networks": [
                        {"mode": "container", "name": "a"},
                        {"mode": "container", "name": "a"},
                    ]
                },
                "/networks",
                "Duplicate networks are not allowed",
            ),
            (
                {"healthChecks": [{"protocol": "MESOS_HTTP", "portIndex": 3}]},
                "/healthChecks(0)",
                MESSAGES["health_port"],
            ),
            (
                {"healthChecks": [{"protocol": "MESOS_HTTP"}, {"protocol": "MESOS_TCP"}]},
                "/",
                MESSAGES["one_mesos_check"],
            ),
            (
                {"readinessChecks": [{"portName": "http"}]},
                "/readinessChecks(0)/portName",
                "No port definition reference for portName http",
            ),
            (
                {
                    "portDefinitions": [{"port": 0, "name": "http"}],
                    "readinessChecks": [
                        {"portName": "http", "intervalSeconds": 5, "timeoutSeconds": 5}
                    ],
                },
                "/readinessChecks(0)/timeoutSeconds",
                "got 5, expected less than 5",
            ),
            (
                {"portDefinitions": [{"port": 0, "name": "a"}, {"port": 0, "name": "a"}]},
                "/portDefinitions",
                "Port names must be unique.",
            ),
            (
                {"portDefinitions": [{"port": 8080}, {"port": 8080}]},
                "/portDefinitions",
                "Ports must be unique.",
            ),
            (
                {"secrets": {"pw": {"source": "shop/pw"}}, "env": {"PW": {"secret": "other"}}},
                "/env/PW/secret",
                "references an undefined secret",
            ),
            (
                {"constraints": [["hostname", "EVERYWHERE"]]},
                "/constraints(0)",
                MESSAGES["operator"],
            ),
            (
                {"constraints": [["hostname"]]},
                "/constraints(0)",
                "Each constraint must have either 2 or 3 fields",
            ),
            (
                {"constraints": [["hostname", "UNIQUE", "x"]]},
                "/constraints(0)",
                "Value specified but not used",
            ),
            ({"constraints": [["rack", "CLUSTER"]]}, "/constraints(0)", "Missing value"),
            (
                {"constraints": [["rack", "MAX_PER", "two"]]},
                "/constraints(0)",
                "Value was not specified or is not a number",
            ),
            (
                {"constraints": [["rack", "GROUP_BY", "x"]]},
                "/constraints(0)",
                "Value was specified but is not a number",
            ),
            (
                {"constraints": [["rack", "LIKE", "("]]},
                "/constraints(0)",
                "'(' is not a valid regular expression",
            ),
            (
                {"constraints": [["rack", "LIKE"]]},
                "/constraints(0)",
                "A regular expression value must be provided",
            ),
            ({"acceptedResourceRoles": []}, "/acceptedResourceRoles", "must not be empty"),
        ],
    )
    def test_each_rule_rejects_with_its_path_and_message(self, api, web, changes, path, error):
        body = {key: value for key, value in web(**changes).items() if value is not None}
        found = details(api.post("/v2/apps", json=body))
        assert error in found[path]

    def test_valid_constraints_pass(self, api, web):
        constraints = [
            ["hostname", "UNIQUE"],
            ["rack", "CLUSTER", "a"],
            ["rack", "GROUP_BY"],
            ["rack", "GROUP_BY", "3"],
            ["rack", "MAX_PER", "2"],
            ["hostname", "LIKE", "agent-.*"],
            ["hostname", "UNLIKE", "db.*"],
            ["zone", "IS", "a"],
        ]
        assert api.post("/v2/apps", json=web(constraints=constraints)).status_code == 201

    def test_errors_are_grouped_by_path(self, api, web):
        found = details(api.post("/v2/apps", json=web(id="/Shop/tasks", cpus=0, instances=-1)))
        assert set(found) == {"/id", "/cpus", "/instances"}
        assert len(found["/id"]) == 2

    def test_docker_allows_one_container_network(self, api):
        body = {
            "id": "/a",
            "container": {"type": "DOCKER", "docker": {"image": "nginx"}},
            "networks": [{"mode": "container", "name": "a"}, {"mode": "container", "name": "b"}],
        }
        assert details(api.post("/v2/apps", json=body))["/"] == [MESSAGES["docker_one_network"]]

    def test_a_put_that_mixes_networks_and_ports_is_rejected(self, marathon, api, web):
        api.post("/v2/apps", json=web())
        marathon.control.finish("/shop/web")
        mappings = {"portMappings": [{"containerPort": 80}], "docker": {"image": "nginx"}}
        host_with_mappings = {"networks": [{"mode": "host"}], "container": mappings}
        found = details(api.put("/v2/apps/shop/web", json=host_with_mappings))
        assert found["/"] == ["portMappings are not allowed with host-networking"]
        bridge_with_definitions = {
            "networks": [{"mode": "container/bridge"}],
            "portDefinitions": [{"port": 0}],
        }
        found = details(api.put("/v2/apps/shop/web", json=bridge_with_definitions))
        assert found["/"] == ["portDefinitions are only allowed with host-networking"]

    def test_a_post_silently_drops_port_mappings_of_a_host_app_as_marathon_does(self, api):
        body = {
            "id": "/a",
            "container": {"docker": {"image": "nginx"}, "portMappings": [{"containerPort": 80}]},
        }
        assert api.post("/v2/apps", json=body).status_code == 201
        app = api.app("/a")
        assert "portMappings" not in app["container"]
        assert app["portDefinitions"][0]["name"] == "default"

    def test_invalid_updates_leave_the_app_alone(self, marathon, api, web):
        api.post("/v2/apps", json=web())
        marathon.control.finish("/shop/web")
        before = api.app("/shop/web")
        assert api.put("/v2/apps/shop/web", json={"cpus": 0}).status_code == 422
        assert api.put("/v2/apps/shop/web", json={"args": ["a"]}).status_code == 422
        assert api.app("/shop/web")["version"] == before["version"]
        assert api.deployments() == []


class TestDeprecatedFields:
    def test_docker_network_and_port_mappings_become_networks_and_container_mappings(self, api):
        body = {
            "id": "/legacy",
            "container": {
                "type": "DOCKER",
                "docker": {
                    "image": "nginx",
                    "network": "BRIDGE",
                    "portMappings": [{"containerPort": 80, "name": "http"}],
                },
            },
        }
        assert api.post("/v2/apps", json=body).status_code == 201
        app = api.app("/legacy")
        assert app["networks"] == [{"mode": "container/bridge"}]
        assert app["container"]["portMappings"][0]["name"] == "http"
        assert "network" not in app["container"]["docker"]
        assert "portMappings" not in app["container"]["docker"]

    def test_ports_become_port_definitions_and_uris_become_fetch(self, api):
        body = {"id": "/legacy", "cmd": "sleep 1", "ports": [0, 0], "uris": ["http://x/a.tgz"]}
        assert api.post("/v2/apps", json=body).status_code == 201
        app = api.app("/legacy")
        assert [definition["protocol"] for definition in app["portDefinitions"]] == ["tcp"] * 2
        assert app["fetch"] == [{"uri": "http://x/a.tgz", "extract": True}]

    def test_conflicting_deprecated_fields(self, api):
        mappings = [{"containerPort": 80}]
        both_mappings = {
            "id": "/a",
            "networks": [{"mode": "container/bridge"}],
            "container": {
                "docker": {"image": "nginx", "portMappings": mappings},
                "portMappings": mappings,
            },
        }
        response = api.post("/v2/apps", json=both_mappings)  # NormalizationException: a 500
        assert response.status_code == 500
        assert response.json() == {
            "message": "cannot specify both portMappings and docker.portMappings"
        }
        both_uris = {"id": "/a", "cmd": "sleep 1", "uris": ["http://x"], "fetch": [{"uri": "y"}]}
        assert details(api.post("/v2/apps", json=both_uris))["/uris"] == [
            "may not be set in conjunction with fetch"
        ]
        ports = {"id": "/a", "cmd": "sleep 1", "ports": [1], "portDefinitions": [{"port": 2}]}
        assert details(api.post("/v2/apps", json=ports))["/"] == [
            "cannot specify both ports and port definitions"
        ]


class TestSecrets:
    SECRET_APP = {
        "id": "/shop/web",
        "cmd": "env",
        "secrets": {"dbpw": {"source": "shop/db/password"}},
        "env": {"DB_PASSWORD": {"secret": "dbpw"}},
    }

    def test_with_the_secrets_feature_secret_apps_are_accepted(self, api):
        assert api.post("/v2/apps", json=self.SECRET_APP).status_code == 201
        app = api.app("/shop/web")
        assert app["secrets"] == {"dbpw": {"source": "shop/db/password"}}
        assert app["env"] == {"DB_PASSWORD": {"secret": "dbpw"}}

    def test_without_the_feature_marathon_rejects_them(self, make_api):
        with MarathonEmulator(secrets=False, auto=False) as emulator:
            response = make_api(emulator.marathon_url).post("/v2/apps", json=self.SECRET_APP)
            found = details(response)
            assert found["/secrets"] == [MESSAGES["feature_secrets"]]
            assert found["/env"] == [MESSAGES["env_secrets"]]

    def test_feature_on_without_a_store_accepts_them_and_injects_nothing(self, make_api):
        with MarathonEmulator(secrets=False, secrets_feature=True, auto=False) as emulator:
            api = make_api(emulator.marathon_url)
            assert api.get("/v2/info").json()["marathon_config"]["features"] == ["secrets"]
            assert api.post("/v2/apps", json=self.SECRET_APP).status_code == 201
            assert api.get("/secrets/v1/secret/default/shop/db/password").status_code == 404
            assert emulator.url == "marathon+" + emulator.marathon_url  # no store in the URL


class TestRealisticApps:
    def test_the_raml_example_app_adapted_is_accepted(self, api, raml_examples):
        app = json.loads((raml_examples / "app.json").read_text())
        # app.json shows every field at once; Marathon itself would refuse it as is:
        del app["args"]  # cmd xor args
        del app["ipAddress"]  # not with container.docker.network
        del app["portDefinitions"]  # host-mode ports, but the container is bridged
        app["env"]["PASSWORD"] = {"secret": "secret1"}  # refs name a key of "secrets"
        response = api.post("/v2/apps", json=app)
        assert response.status_code == 201, response.text
        stored = api.app("/foo")
        assert stored["networks"] == [{"mode": "container/bridge"}]
        assert stored["container"]["portMappings"][0]["servicePort"] == 10019
        assert stored["tty"] is True

    def test_the_raml_check_example_is_accepted(self, api, raml_examples):
        app = json.loads((raml_examples / "app-check-http-example.json").read_text())
        assert api.post("/v2/apps", json=app).status_code == 201
        assert api.app("/http-index-test")["check"]["http"]["portIndex"] == 0

    def test_a_full_modern_app_is_accepted(self, api):
        app = {
            "id": "/shop/api",
            "args": ["--port", "8080"],
            "instances": 3,
            "cpus": 0.5,
            "mem": 256,
            "gpus": 0,
            "role": "*",
            "container": {
                "type": "MESOS",
                "docker": {"image": "registry/api:1.2", "pullConfig": {"secret": "pull"}},
                "portMappings": [
                    {"containerPort": 8080, "name": "http", "labels": {"VIP_0": "/api:80"}}
                ],
                "volumes": [{"containerPath": "pw", "secret": "dbpw"}],
            },
            "networks": [{"mode": "container", "name": "dcos"}],
            "secrets": {"dbpw": {"source": "shop/db/password"}, "pull": {"source": "shop/pull"}},
            "env": {"DB_PASSWORD": {"secret": "dbpw"}, "MODE": "prod"},
            "healthChecks": [
                {"protocol": "MESOS_HTTP", "path": "/healthz", "portIndex": 0, "delaySeconds": 5}
            ],
            "readinessChecks": [{"portName": "http", "path": "/ready"}],
            "upgradeStrategy": {"minimumHealthCapacity": 0.5, "maximumOverCapacity": 0.25},
            "constraints": [["hostname", "UNIQUE"]],
            "labels": {"HAPROXY_GROUP": "external"},
            "resourceLimits": {"cpus": "unlimited", "mem": 512},
            "tty": False,
            "killSelection": "OLDEST_FIRST",
            "unreachableStrategy": "disabled",
        }
        response = api.post("/v2/apps", json=app)
        assert response.status_code == 201, response.text


class TestSchema:
    def test_the_schema_rejects_fields_marathon_does_not_know(self, api, web):
        found = details(api.post("/v2/apps", json=web(tasksRunning=1)))
        assert "Additional properties are not allowed" in found["/"][0]

    def test_schema_errors_carry_marathon_style_paths(self, api, web):
        body = web(portDefinitions=[{"port": 0, "name": "Bad_Name"}])
        found = details(api.post("/v2/apps", json=body))
        assert "/portDefinitions(0)/name" in found

    def test_newer_fields_are_allowed_with_their_types(self, api, web):
        body = web(resourceLimits={"cpus": "lots"})
        assert "/resourceLimits/cpus" in details(api.post("/v2/apps", json=body))
        body = web(check={"tcp": {"portIndex": 0}}, role="*", tty=True)
        assert api.post("/v2/apps", json=body).status_code == 201

    def test_a_put_body_is_checked_with_the_path_id(self, marathon, api, web):
        api.post("/v2/apps", json=web())
        marathon.control.finish("/shop/web")
        assert api.put("/v2/apps/shop/web", json={"instances": 3}).status_code == 200
        found = details(api.put("/v2/apps/shop/web", json={"bogus": 1}))
        assert "Additional properties are not allowed" in found["/"][0]

    def test_without_a_schema_unknown_fields_are_dropped(self, make_api, web):
        with MarathonEmulator(auto=False) as plain:
            api = make_api(plain.marathon_url)
            assert api.post("/v2/apps", json=web(bogus=1)).status_code == 201
            assert "bogus" not in api.app("/shop/web")

    def test_the_schema_file_itself_is_left_unchanged(self, schema_path):
        from orchsdk_marathon.testing.validation import NEWER_FIELDS, SchemaCheck

        original = json.loads(schema_path.read_text())
        kept = copy.deepcopy(original)
        extended = SchemaCheck.extended(original)
        assert original == kept
        assert set(NEWER_FIELDS) <= set(extended["properties"])
        assert not set(NEWER_FIELDS) & set(original["properties"])
