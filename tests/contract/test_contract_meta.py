"""The contract suite itself: every test declares its capabilities, and skips name them."""

import inspect

import pytest

from orchsdk import Capabilities
from orchsdk.testing import BackendContract
from orchsdk.testing.contract import REQUIRES

pytest_plugins = ["pytester"]

CONTRACT_TESTS = [
    name
    for name, _ in inspect.getmembers(BackendContract, inspect.isfunction)
    if name.startswith("test_")
]


def test_the_suite_has_contract_tests() -> None:
    assert len(CONTRACT_TESTS) >= 40


@pytest.mark.parametrize("name", CONTRACT_TESTS)
def test_every_contract_test_declares_the_capabilities_it_needs(name: str) -> None:
    declared = getattr(getattr(BackendContract, name), REQUIRES, None)
    assert declared is not None, f"{name} has no @requires(...)"
    assert set(declared) <= set(Capabilities.names()), f"{name} names an unknown capability"


def test_a_backend_without_a_capability_skips_its_tests_naming_it(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import attrs
        from orchsdk.testing import BackendContract
        from orchsdk_memory import MemoryBackend

        class NoSecrets(MemoryBackend):
            @property
            def capabilities(self):
                return attrs.evolve(super().capabilities, secrets=False,
                                    reasons={"secrets": "no secret store here"})

        class TestNoSecrets(BackendContract):
            timeout = 10.0
            def make_backend(self):
                return NoSecrets()
        """
    )
    result = pytester.runpytest("-rs", "-k", "secret_values_are_redacted or apply_new_deployment")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*memory lacks capability 'secrets': no secret store here*"])
