"""Backend settings (``orchsdk.settings``): strict options, the same spelling on every backend."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import orchsdk
from orchsdk import SettingsError
from orchsdk.settings import flag, optional_seconds, seconds, settings_from, verify_option


@attrs.frozen
class Example:
    verify: bool | str = attrs.field(default=True, converter=verify_option)
    read_timeout: float = attrs.field(default=30.0, converter=seconds)
    force: bool = attrs.field(default=False, converter=flag)


@pytest.mark.parametrize("text", ["true", "TRUE", "1", "yes", "Yes", True, 1])
def test_true_spellings(text: object) -> None:
    assert flag(text) is True


@pytest.mark.parametrize("text", ["false", "False", "0", "no", False, 0])
def test_false_spellings(text: object) -> None:
    assert flag(text) is False


@given(
    st.text().filter(lambda t: t.strip().lower() not in {"true", "1", "yes", "false", "0", "no"})
)
def test_any_other_boolean_spelling_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="expected true or false"):
        flag(text)


@pytest.mark.parametrize("typo", ["ture", "flase", "on", "", "/etc/ssl/missing-ca.pem"])
def test_verify_never_turns_off_for_a_typo_or_a_missing_file(typo: str) -> None:
    with pytest.raises(ValueError, match="CA bundle that exists"):
        verify_option(typo)


def test_verify_takes_the_path_of_an_existing_ca_bundle(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")

    assert verify_option(str(bundle)) == str(bundle)
    assert verify_option(bundle) == str(bundle)


@pytest.mark.parametrize("value", ["0", "-1", "inf", "nan", "soon", True, None])
def test_seconds_are_positive_finite_numbers(value: object) -> None:
    with pytest.raises(ValueError, match="seconds"):
        seconds(value)


def test_optional_seconds_reads_empty_as_no_limit() -> None:
    assert (optional_seconds(""), optional_seconds(None), optional_seconds("2.5")) == (
        None,
        None,
        2.5,
    )


def test_settings_from_converts_url_strings() -> None:
    settings = settings_from(Example, {"read_timeout": "5", "force": "yes"}, backend="example")

    assert settings == Example(verify=True, read_timeout=5.0, force=True)


def test_an_unknown_option_lists_the_known_ones() -> None:
    with pytest.raises(SettingsError) as raised:
        settings_from(Example, {"contxt": "prod"}, backend="example")

    assert str(raised.value) == (
        "example has no option 'contxt'; its options are: force, read_timeout, verify"
    )


def test_a_bad_value_names_the_option() -> None:
    with pytest.raises(SettingsError, match="example option force: expected true or false"):
        settings_from(Example, {"force": "maybe"}, backend="example")


def test_a_settings_error_is_an_orchestrator_error_and_a_value_error() -> None:
    assert issubclass(SettingsError, orchsdk.OrchestratorError)
    assert issubclass(SettingsError, ValueError)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("memory://?contxt=prod", "memory has no option 'contxt'"),
        ("memory://?rollout=sometimes", "memory settings"),
        ("memory://?step_seconds=-1", "memory option step_seconds"),
        ("memory:/x", "looks like 'memory://' or 'memory://NAME'"),
        ("memory://store/path", "names a store with its host part only"),
    ],
)
def test_memory_urls_are_strict(url: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        orchsdk.connect(url)


def test_a_misspelt_keyword_option_is_a_settings_error_not_a_type_error() -> None:
    with pytest.raises(SettingsError, match="memory has no option 'rolout'"):
        orchsdk.connect("memory://", rolout="manual")
