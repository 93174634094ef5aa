"""Finding Helm chart instances in rendered manifests."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from krmfn.sdk import objects

# Helm's recommended labels first, then the pre-1.0 bitnami ones (mysql 6.x/7.x still use them).
_CHART_LABELS = ("helm.sh/chart", "chart")
_INSTANCE_LABELS = ("app.kubernetes.io/instance", "release")
_CHART_VERSION = re.compile(r"^(?P<chart>.+?)-(?P<version>v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)$")


@dataclass
class Instance:
    chart: str
    version: str
    release: str
    namespace: str
    objects: list[dict] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str]:
        return self.namespace, self.release, self.chart


def chart_of(obj: dict) -> tuple[str, str, str] | None:
    """(chart, version, release) from an object's labels, if it belongs to a chart instance."""
    lab = objects.labels(obj)
    chart_label = next((str(lab[k]) for k in _CHART_LABELS if k in lab), None)
    release = next((str(lab[k]) for k in _INSTANCE_LABELS if k in lab), None)
    if not chart_label or not release:
        return None
    m = _CHART_VERSION.match(chart_label)
    if not m:
        return None
    return m.group("chart"), m.group("version").lstrip("v"), release


def instances(objs: list[dict], subcharts=lambda chart, version: ()) -> list[Instance]:
    """Chart instances by (release, chart, version), cluster-scoped objects joining theirs.

    `subcharts(chart, version)` names the charts a chart renders inside itself (elasticsearch's
    kibana): their objects, same release and namespace, join the parent's instance. A side that
    renders no namespace at all (elasticsearch 17.x; its kibana 9.x namespaces only a few objects)
    takes the one the render is applied to, so it matches either.
    """
    found: dict[tuple, Instance] = {}
    for obj in objs:
        ref = chart_of(obj)
        if ref is None:
            continue
        chart, version, release = ref
        ns = objects.namespace(obj)
        key = (release, chart, version)
        inst = found.get(key)
        if inst is None:
            inst = found[key] = Instance(chart, version, release, ns)
        elif not inst.namespace and ns:
            inst.namespace = ns
        inst.objects.append(obj)
    for parent in list(found.values()):
        for sub in subcharts(parent.chart, parent.version):
            for key in [k for k in found if k[0] == parent.release and k[1] == sub]:
                child = found[key]
                same_ns = child.namespace == parent.namespace or "" in (child.namespace, parent.namespace)
                if child is not parent and same_ns:
                    parent.objects.extend(found.pop(key).objects)
    return list(found.values())
