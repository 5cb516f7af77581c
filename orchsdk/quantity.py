"""Kubernetes resource quantities (``"250m"``, ``"256Mi"``, ``"1.5"``, ``"1e3"``) as exact decimals.

The core uses them to validate :class:`~orchsdk.Resources`; backends use them to turn
quantities into their own units (Marathon's ``cpus`` and ``mem`` in MiB).
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation

__all__ = ["cpu_cores", "memory_mib", "parse_quantity"]

_SUFFIXES = {
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}
_QUANTITY = re.compile(
    r"(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?:(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE](?P<exponent>[+-]?[0-9]{1,3}))?"
)


def parse_quantity(text: str) -> Decimal:
    """The value of a quantity string, e.g. ``parse_quantity("256Mi") == 268435456``.

    Raises :class:`ValueError` for anything the Kubernetes API server would reject.
    """
    if not isinstance(text, str):
        raise _not_a_quantity(text)
    return _parse(text)


@functools.lru_cache(maxsize=256)
def _parse(text: str) -> Decimal:
    """:func:`parse_quantity` of a string, remembered: specs repeat a few quantities
    (``"250m"``, ``"256Mi"``) and each is parsed on every validation and every render.
    A Decimal is immutable, so one can be shared; failures are not remembered."""
    match = _QUANTITY.fullmatch(text)
    if match is None:
        raise _not_a_quantity(text)
    try:
        number = Decimal(match["number"])
    except InvalidOperation as error:
        raise ValueError(f"not a quantity: {text!r}") from error
    if match["exponent"] is not None:
        return number.scaleb(int(match["exponent"]))
    return number * _SUFFIXES[match["suffix"] or ""]


def _not_a_quantity(text: object) -> ValueError:
    return ValueError(f"not a quantity: {text!r} (examples: '250m', '0.5', '256Mi', '1Gi')")


def cpu_cores(text: str) -> float:
    """A CPU quantity in cores: ``"250m"`` → ``0.25``."""
    return float(parse_quantity(text))


def memory_mib(text: str) -> float:
    """A memory quantity in MiB: ``"256Mi"`` → ``256.0``, ``"1G"`` → ``953.67...``."""
    return float(parse_quantity(text) / _SUFFIXES["Mi"])
