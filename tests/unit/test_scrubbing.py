"""Secret values are scrubbed from server text while they are being written."""

from __future__ import annotations

import base64
import json

from orchsdk.errors import error_for_status
from orchsdk.scrubbing import forms, scrub, sensitive


def test_every_form_of_a_held_value_is_scrubbed() -> None:
    value = 'pa"ss-wörd'
    text = " ".join(
        [
            value,
            base64.b64encode(value.encode()).decode(),
            json.dumps(value),
            json.dumps(value, ensure_ascii=False),
        ]
    )
    with sensitive([value]):
        scrubbed = scrub(text)
    assert [form for form in forms(value) if form in scrubbed] == []
    assert scrubbed.count("<redacted>") == 4


def test_values_are_scrubbed_only_while_held() -> None:
    with sensitive(["hunter22"]):
        pass
    assert scrub("hunter22") == "hunter22"


def test_nested_holds_of_the_same_value_keep_it_until_the_last_ends() -> None:
    with sensitive(["hunter22"]):
        with sensitive(["hunter22"]):
            pass
        assert scrub("hunter22") == "<redacted>"


def test_short_values_are_not_scrubbed() -> None:
    with sensitive(["abc"]):
        assert scrub("abc abcd") == "abc abcd"


def test_error_for_status_scrubs_the_message_and_the_field_errors() -> None:
    with sensitive(["hunter22"]):
        error = error_for_status(422, "apply secret/db", "data.password: hunter22 is invalid")
    assert "hunter22" not in str(error)
