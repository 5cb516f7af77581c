"""Kind-specific changes at write time: Secret ``stringData``, Service IPs and node ports."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator
from typing import Any

from orchsdk_kubernetes.testing.registry.meta import Obj
from orchsdk_kubernetes.testing.resources import ResourceType

__all__ = ["Admission"]


class _Allocator:
    """Hands out unique values from a sequence, with release."""

    def __init__(self, values: Iterator[Any]) -> None:
        self._values = values
        self.used: set[Any] = set()

    def peek(self) -> Any:
        while True:
            value = next(self._values)
            if value not in self.used:
                self._values = itertools.chain([value], self._values)
                return value

    def take(self, value: Any) -> None:
        self.used.add(value)

    def release(self, value: Any) -> None:
        self.used.discard(value)


def _cluster_ips() -> Iterator[str]:
    for n in itertools.count(10):
        yield f"10.96.{(n // 254) % 256}.{n % 254 + 1}"


def _node_ports() -> Iterator[int]:
    return itertools.cycle(range(30000, 32768))


class Admission:
    """Mutates objects as they are admitted, and keeps the Services' allocations."""

    def __init__(self) -> None:
        self.cluster_ips = _Allocator(_cluster_ips())
        self.node_ports = _Allocator(_node_ports())

    def admit(self, rt: ResourceType, obj: Obj, old: Obj | None) -> None:
        """Kind-specific mutation at write time: Secret stringData, Service allocations."""
        if rt.kind == "Secret" and "stringData" in obj:
            data = dict(obj.get("data") or {})
            for key, value in (obj.pop("stringData") or {}).items():
                data[key] = base64.b64encode(str(value).encode()).decode()
            obj["data"] = data
        elif rt.kind == "Service":
            self._admit_service(obj, old)

    def _admit_service(self, obj: Obj, old: Obj | None) -> None:
        spec = obj.setdefault("spec", {})
        kind = spec.get("type") or "ClusterIP"
        old_spec = (old or {}).get("spec") or {}
        if kind == "ExternalName":
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
            return
        if not spec.get("clusterIP"):
            if old_spec.get("clusterIP") and old_spec.get("type") != "ExternalName":
                spec["clusterIP"] = old_spec["clusterIP"]
            else:
                spec["clusterIP"] = self.cluster_ips.peek()
        if spec["clusterIP"] == "None":
            spec["clusterIPs"] = ["None"]
        else:
            spec["clusterIPs"] = [spec["clusterIP"]]
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
        if spec["clusterIP"] == "None":
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
        ports = spec.get("ports") or []
        if kind in ("NodePort", "LoadBalancer"):
            previous = {
                (p.get("port"), p.get("protocol", "TCP")): p.get("nodePort")
                for p in old_spec.get("ports") or []
            }
            taken: set[int] = set()
            for port in ports:
                if not isinstance(port, dict):
                    continue
                if port.get("nodePort") is None:
                    earlier = previous.get((port.get("port"), port.get("protocol", "TCP")))
                    if earlier is not None:
                        port["nodePort"] = earlier
                    else:
                        value = self.node_ports.peek()
                        while value in taken:
                            self.node_ports.take(value)
                            value = self.node_ports.peek()
                        port["nodePort"] = value
                taken.add(port["nodePort"])
        else:
            for port in ports:
                if isinstance(port, dict) and old is not None:
                    port.pop("nodePort", None)

    def commit(self, rt: ResourceType, obj: Obj, old: Obj | None = None) -> None:
        """Marks what a stored Service now holds as taken, and frees what it gave up."""
        if rt.kind != "Service":
            return
        spec, old_spec = obj.get("spec") or {}, (old or {}).get("spec") or {}
        if spec.get("clusterIP") not in (None, "None"):
            self.cluster_ips.take(spec["clusterIP"])
        if old_spec.get("clusterIP") not in (None, "None", spec.get("clusterIP")):
            self.cluster_ips.release(old_spec["clusterIP"])
        now_ports = {p.get("nodePort") for p in spec.get("ports") or [] if p.get("nodePort")}
        for port in now_ports:
            self.node_ports.take(port)
        for port in old_spec.get("ports") or []:
            if port.get("nodePort") and port["nodePort"] not in now_ports:
                self.node_ports.release(port["nodePort"])

    def release(self, rt: ResourceType, gone: Obj) -> None:
        """Frees what a deleted Service held."""
        if rt.kind != "Service":
            return
        spec = gone.get("spec") or {}
        self.cluster_ips.release(spec.get("clusterIP"))
        for port in spec.get("ports") or []:
            self.node_ports.release(port.get("nodePort"))
