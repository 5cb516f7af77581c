"""Manifest files that are not UTF-8: a ManifestError naming the file and the byte, no content.

A manifest may hold secret values, so neither the error nor anything it chains to may
carry the file's bytes (a ``UnicodeDecodeError`` holds the whole input in its args).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import orchsdk
from orchsdk import ManifestError

SECRET = "Zebra-Crossing-71"
MANIFEST = f"""apiVersion: orchsdk/v1
kind: Secret
name: db
data: {{password: "{SECRET}", note: "café"}}
"""


def chain(error: BaseException) -> list[BaseException]:
    """The error and every exception it was raised from or during."""
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def shows(error: BaseException, text: str) -> bool:
    return any(
        text in f"{item!s}{item!r}{item.args!r}" or text.encode() in repr(item.args).encode()
        for item in chain(error)
    )


@pytest.fixture
def latin1(tmp_path: Path) -> Path:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(MANIFEST.encode("latin-1"))
    return path


@pytest.fixture
def utf16(tmp_path: Path) -> Path:
    path = tmp_path / "utf16.yaml"
    path.write_bytes(MANIFEST.encode("utf-16"))
    return path


def test_a_latin1_file_names_the_file_and_the_first_bad_byte(latin1: Path) -> None:
    with pytest.raises(ManifestError) as raised:
        orchsdk.load_manifests(latin1)

    offset = MANIFEST.encode("latin-1").index("é".encode("latin-1"))
    assert str(raised.value) == (
        f"{latin1} is invalid: is not UTF-8 text: byte {offset} is not valid UTF-8; "
        "save the file as UTF-8"
    )


def test_a_utf16_file_says_it_is_utf16(utf16: Path) -> None:
    with pytest.raises(ManifestError, match="is UTF-16 text"):
        orchsdk.load_manifests(utf16)


@pytest.mark.parametrize("fixture", ["latin1", "utf16"])
def test_the_error_chain_holds_none_of_the_content(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    path: Path = request.getfixturevalue(fixture)

    with pytest.raises(ManifestError) as raised:
        orchsdk.load_manifests(path)

    assert not shows(raised.value, SECRET)
    assert not shows(raised.value, "Zebra")
    assert [type(item) for item in chain(raised.value)] == [ManifestError]


def test_an_open_text_stream_that_is_not_utf8_is_a_manifest_error(latin1: Path) -> None:
    with latin1.open(encoding="utf-8") as stream, pytest.raises(ManifestError) as raised:
        orchsdk.load_manifests(stream)

    assert not shows(raised.value, SECRET)


@pytest.mark.parametrize("fixture", ["latin1", "utf16"])
def test_the_command_exits_2_and_prints_no_content(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    path: Path = request.getfixturevalue(fixture)

    done = subprocess.run(
        [sys.executable, "-m", "orchsdk.cli", "apply", str(path), "--backend", "memory://"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )

    assert done.returncode == 2
    assert str(path) in done.stderr
    assert "internal error" not in done.stderr
    assert SECRET not in done.stdout + done.stderr
