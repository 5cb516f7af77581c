"""Finding a backend by URL scheme: in-process registrations first, then entry points."""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import orchsdk
from orchsdk import Backend, Orchestrator, OrchestratorError
from orchsdk.plugins import load_backend, register_backend

pytestmark = pytest.mark.usefixtures("isolated_registry")


def test_an_unknown_scheme_names_the_scheme_and_what_to_install() -> None:
    with pytest.raises(OrchestratorError) as caught:
        orchsdk.connect("nosuch://host")

    message = str(caught.value)
    assert "no backend is installed for nosuch://" in message
    assert "install the plugin that provides nosuch://" in message
    assert "orchsdk.register_backend" in message


def test_an_unknown_scheme_lists_the_installed_ones(fake_backend_class: Any) -> None:
    register_backend("fake", fake_backend_class)

    with pytest.raises(OrchestratorError, match=r"installed: .*fake://"):
        orchsdk.connect("nosuch://")


@pytest.mark.parametrize(
    ("url", "extra"),
    [
        ("kubernetes://?context=prod", "orchsdk[kubernetes]"),
        ("marathon+https://marathon.example.com:8080", "orchsdk[marathon]"),
        ("marathon+http://localhost:8080", "orchsdk[marathon]"),
    ],
)
def test_a_built_in_backend_that_is_not_installed_names_its_extra(
    monkeypatch: pytest.MonkeyPatch, url: str, extra: str
) -> None:
    monkeypatch.setattr("orchsdk.plugins._entry_point", lambda scheme: None)  # not installed

    with pytest.raises(OrchestratorError, match=re.escape(f"pip install '{extra}'")):
        orchsdk.connect(url)


def test_a_backend_whose_dependencies_are_missing_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class BrokenEntryPoint:
        def load(self) -> Any:
            raise ImportError("No module named 'kubernetes'")

    monkeypatch.setattr("orchsdk.plugins._entry_point", lambda scheme: BrokenEntryPoint())

    with pytest.raises(OrchestratorError, match="cannot be imported") as caught:
        orchsdk.connect("kubernetes://")

    assert "orchsdk[kubernetes]" in str(caught.value)
    assert isinstance(caught.value.__cause__, ImportError)


@pytest.mark.parametrize("url", ["memory", "", "/var/run/docker.sock"])
def test_a_url_without_a_scheme_is_refused(url: str) -> None:
    with pytest.raises(OrchestratorError, match="has no scheme"):
        load_backend(url)


def test_register_backend_with_a_class_builds_it_from_the_url(fake_backend_class: Any) -> None:
    register_backend("fake", fake_backend_class)

    orch = orchsdk.connect("fake://?region=eu&zone=a", token="t")

    assert isinstance(orch, Orchestrator)
    assert isinstance(orch.backend, fake_backend_class)
    assert orch.backend.options == {"region": "eu", "zone": "a", "token": "t"}


def test_register_backend_with_a_callable_passes_the_url_and_options(
    fake_backend_class: Any,
) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []

    def factory(url: str, **options: Any) -> Backend:
        seen.append((url, options))
        return fake_backend_class()

    register_backend("fn", factory)

    orchsdk.connect("fn://cluster-1", token="t")

    assert seen == [("fn://cluster-1", {"token": "t"})]


def test_register_backend_with_a_module_attribute_string_imports_it_on_first_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = tmp_path / "orchsdk_test_plugin.py"
    module.write_text(
        textwrap.dedent(
            """
            def make(url, **options):
                return ("made", url, options)
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "orchsdk_test_plugin", raising=False)

    register_backend("bystring", "orchsdk_test_plugin:make")
    assert "orchsdk_test_plugin" not in sys.modules

    assert load_backend("bystring://x", debug="1") == ("made", "bystring://x", {"debug": "1"})
    assert "orchsdk_test_plugin" in sys.modules


def test_schemes_are_matched_without_regard_to_case(fake_backend_class: Any) -> None:
    register_backend("Fake", fake_backend_class)

    assert isinstance(load_backend("FAKE://"), fake_backend_class)


def test_a_registered_backend_takes_precedence_over_an_entry_point(
    fake_backend_class: Any,
) -> None:
    register_backend("memory", fake_backend_class)

    assert isinstance(load_backend("memory://"), fake_backend_class)


@pytest.mark.parametrize("scheme", ["fake://", "", "memory://x"])
def test_register_backend_refuses_what_is_not_a_scheme(
    scheme: str, fake_backend_class: Any
) -> None:
    with pytest.raises(ValueError, match="a scheme looks like 'memory'"):
        register_backend(scheme, fake_backend_class)


def test_connect_passes_namespace_lenient_and_retry_to_the_orchestrator(
    fake_backend_class: Any,
) -> None:
    register_backend("fake", fake_backend_class)
    policy = orchsdk.RetryPolicy(attempts=2)

    orch = orchsdk.connect("fake://", namespace="shop", lenient=True, retry=policy)

    assert (orch.namespace, orch.lenient, orch.retry) == ("shop", True, policy)


def test_the_memory_backend_is_found_through_its_entry_point() -> None:
    backend = load_backend("memory://")

    assert isinstance(backend, Backend)
    assert backend.name == "memory"
    assert type(backend).__module__.startswith("orchsdk_memory")


@pytest.mark.parametrize(
    ("url", "meant"),
    [
        ("marathon://m1:8080", "did you mean marathon+http:// or marathon+https://?"),
        ("k8s://", "did you mean kubernetes://?"),
        ("kubernets://", "did you mean kubernetes://?"),
        ("memroy://", "did you mean memory://?"),
    ],
)
def test_a_scheme_close_to_an_installed_one_suggests_it(url: str, meant: str) -> None:
    with pytest.raises(OrchestratorError, match=re.escape(meant)):
        orchsdk.connect(url)
