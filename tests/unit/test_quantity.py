"""Kubernetes quantities: parsed exactly, converted to cores and MiB, rejected when malformed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from orchsdk.quantity import cpu_cores, memory_mib, parse_quantity


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("250m", Decimal("0.25")),
        ("1", Decimal(1)),
        ("0.5", Decimal("0.5")),
        (".5", Decimal("0.5")),
        ("1.", Decimal(1)),
        ("+2", Decimal(2)),
        ("0", Decimal(0)),
        ("100n", Decimal("1e-7")),
        ("10u", Decimal("1e-5")),
        ("1k", Decimal(1000)),
        ("1M", Decimal(10**6)),
        ("1G", Decimal(10**9)),
        ("1T", Decimal(10**12)),
        ("1P", Decimal(10**15)),
        ("1E", Decimal(10**18)),
        ("1Ki", Decimal(1024)),
        ("256Mi", Decimal(268435456)),
        ("1.5Gi", Decimal(3 * 2**29)),
        ("1Ti", Decimal(2**40)),
        ("1Pi", Decimal(2**50)),
        ("1Ei", Decimal(2**60)),
        ("1e3", Decimal(1000)),
        ("1E3", Decimal(1000)),
        ("12e-3", Decimal("0.012")),
        ("1e+2", Decimal(100)),
    ],
)
def test_parse_quantity_gives_the_exact_value(text: str, value: Decimal) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "",
        "1Mii",
        "1 Gi",
        " 1",
        "1KB",
        "1K",
        "1mi",
        "Mi",
        "1.2.3",
        "1e",
        "1e1000",
        "--1",
        "1,5",
    ],
)
def test_parse_quantity_rejects_what_the_api_server_would(text: str) -> None:
    with pytest.raises(ValueError, match="not a quantity"):
        parse_quantity(text)


@pytest.mark.parametrize("value", [1, 0.5, None, b"1"])
def test_parse_quantity_rejects_anything_but_a_string(value: Any) -> None:
    with pytest.raises(ValueError, match="not a quantity"):
        parse_quantity(value)


@pytest.mark.parametrize(
    ("text", "cores"), [("250m", 0.25), ("1", 1.0), ("1.5", 1.5), ("100m", 0.1), ("2k", 2000.0)]
)
def test_cpu_cores_converts_to_cores(text: str, cores: float) -> None:
    assert cpu_cores(text) == cores


@pytest.mark.parametrize(
    ("text", "mib"),
    [("256Mi", 256.0), ("1Gi", 1024.0), ("512Ki", 0.5), ("1048576", 1.0), ("1.5Gi", 1536.0)],
)
def test_memory_mib_converts_to_mebibytes(text: str, mib: float) -> None:
    assert memory_mib(text) == mib


def test_memory_mib_converts_decimal_units() -> None:
    assert memory_mib("1G") == pytest.approx(953.674, abs=1e-3)
