"""The benchmark's inputs: a deterministic mix of generated objects plus the real chart renders.

A ResourceList of N objects is about a quarter chart renders (every tests/charts.py case,
each copy rendered under its own release name so instances never merge) and the rest
generated: Services (ClusterIP, headless, ExternalName), StatefulSets and Deployments with
env, args and probes, ConfigMaps carrying config files, Secrets. The same N always gives
the same bytes; files are cached under .cache/bench/ by a hash of everything that makes them.
"""
from __future__ import annotations

import hashlib
import json
import random
import subprocess
import zlib
from functools import cache
from pathlib import Path

from krmfn.sdk import objects, yaml12
from tests import charts

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "bench"
CHART_SHARE = 4  # one object in CHART_SHARE comes from a chart render



def _plan() -> dict:
    """IPv6 single-stack. The mix carries the IPv4-isms the audit exists to find (0.0.0.0
    binds, preferIPv4Stack); the plan lowers every error-level rule to a warning, as a team
    that accepted them would, so the function still audits everything and exits 0 (kustomize
    stops on any other exit code)."""
    from krmfn.audit import RULES

    accepted = {rule_id: "warning" for rule_id, rule in sorted(RULES.items()) if rule.SEVERITY == "error"}
    return {
        "apiVersion": "krmfn.dev/v1alpha1",
        "kind": "IPv6Plan",
        "metadata": {"name": "ipv6"},
        "spec": {"ipFamilies": ["IPv6"], "ipFamilyPolicy": "SingleStack", "audit": {"severity": accepted}},
    }


PLAN = _plan()


def resource_list(items: list, function_config: dict | None = PLAN) -> dict:
    rl = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items}
    if function_config is not None:
        rl["functionConfig"] = function_config
    return rl


# ---------------------------------------------------------------- chart renders


def _release(case_index: int, copy: int) -> str:
    # Same length for every copy: charts that truncate names to 63 characters stay consistent.
    return f"b{case_index:02d}k{copy:04d}"


@cache
def _render_text(case: charts.Case, release: str) -> str:
    """`helm template RELEASE ARCHIVE` for one case, cached like tests/charts.py caches its renders."""
    tgz = charts.CHARTS / f"{case.archive}.tgz"
    values = json.dumps(case.values, sort_keys=True)
    key = hashlib.sha256(tgz.read_bytes() + values.encode() + release.encode() + charts._helm_version().encode())
    cached = CACHE / "renders" / f"{case.id}-{key.hexdigest()[:20]}.yaml"
    if cached.exists():
        return cached.read_text()
    cached.parent.mkdir(parents=True, exist_ok=True)
    values_file = cached.with_suffix(".values.json")
    values_file.write_text(values)
    proc = subprocess.run(
        [charts.HELM, "template", release, tgz, "--namespace", charts.NAMESPACE, "-f", values_file],
        capture_output=True, text=True,
    )
    if proc.returncode:
        raise RuntimeError(f"helm template {case.archive} failed: {proc.stderr}")
    tmp = cached.with_suffix(".tmp")
    tmp.write_text(proc.stdout)
    tmp.replace(cached)
    return proc.stdout


def chart_texts() -> list[tuple[int, charts.Case, str]]:
    """Every case's render under its copy-0 release name: (case index, case, text)."""
    return [(i, case, _render_text(case, _release(i, 0))) for i, case in enumerate(charts.pinned_cases())]


def chart_objects(budget: int) -> list[dict]:
    """Whole chart instances, copy after copy, while they fit in budget objects."""
    texts = chart_texts()
    sizes = {i: len(_docs(text)) for i, _, text in texts}
    out: list[dict] = []
    seen: set[tuple] = set()
    copy = 0
    while True:
        added = False
        for i, _, text in texts:
            if len(out) + sizes[i] > budget:
                continue
            # The release name is a token no chart prints otherwise: renaming the text renames
            # the release everywhere (names, labels, DNS names in env and config files).
            for doc in _docs(text.replace(_release(i, 0), _release(i, copy))):
                # An object whose name has no release in it (ingress-nginx's IngressClass `nginx`)
                # exists once in a cluster: kustomize and krmfn refuse a second copy.
                ident = (doc.get("apiVersion"), doc.get("kind"), objects.namespace(doc), objects.name(doc))
                if ident not in seen:
                    seen.add(ident)
                    out.append(doc)
            added = True
        if not added:
            return out
        copy += 1


def _docs(text: str) -> list[dict]:
    return [d for d in yaml12.load_all(text) if isinstance(d, dict)]


# ---------------------------------------------------------------- generated objects

_IMAGES = ["nginx:1.25", "redis:7.2", "postgres:16", "bitnami/kafka:3.6", "envoyproxy/envoy:v1.29", "app/api:2.14.1"]
_TIERS = ["frontend", "backend", "cache", "db", "queue", "batch"]


def _meta(kind: str, name: str, app: str, rng: random.Random) -> dict:
    md = {
        "name": name,
        # One namespace per application, so its Service, workloads and ConfigMaps meet.
        "namespace": f"team-{zlib.crc32(app.encode()) % 8}",
        "labels": {
            "app.kubernetes.io/name": app,
            "app.kubernetes.io/instance": f"{app}-prod",
            "app.kubernetes.io/component": rng.choice(_TIERS),
            "app.kubernetes.io/part-of": "shop",
            "app.kubernetes.io/managed-by": "kustomize",
        },
    }
    if kind != "Secret" and rng.random() < 0.5:
        md["annotations"] = {
            "owner": f"team-{rng.randrange(8)}@example.com",
            "config.kubernetes.io/origin": f"path: apps/{app}/{kind.lower()}.yaml\n",
        }
    return md


def _service(i: int, app: str, rng: random.Random, style: str) -> dict:
    md = _meta("Service", f"{app}-{style}" if style != "clusterip" else app, app, rng)
    if style == "externalname":
        return {
            "apiVersion": "v1", "kind": "Service", "metadata": md,
            "spec": {"type": "ExternalName", "externalName": f"{app}.partner-{i % 13}.example.com"},
        }
    ports = [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]
    if rng.random() < 0.6:
        ports.append({"name": "metrics", "port": 9090, "targetPort": "metrics", "protocol": "TCP"})
    if rng.random() < 0.3:
        ports.append({"name": "grpc", "port": 50051, "targetPort": 50051, "protocol": "TCP", "appProtocol": "grpc"})
    spec: dict = {"selector": {"app.kubernetes.io/name": app, "app.kubernetes.io/instance": f"{app}-prod"}, "ports": ports}
    if style == "headless":
        spec = {"clusterIP": "None", "publishNotReadyAddresses": True, **spec}
    elif rng.random() < 0.2:
        spec["sessionAffinity"] = "ClientIP"
    return {"apiVersion": "v1", "kind": "Service", "metadata": md, "spec": spec}


def _container(app: str, rng: random.Random) -> dict:
    port = rng.choice([8080, 6379, 5432, 9092, 3306])
    env = [
        {"name": "LISTEN_ADDRESS", "value": f"0.0.0.0:{port}"},
        {"name": "BIND_HOST", "value": rng.choice(["0.0.0.0", "::", "[::]", "localhost"])},
        {"name": "LOG_LEVEL", "value": rng.choice(["info", "debug", "warn"])},
        {"name": "FEATURE_FLAG", "value": rng.choice(["true", "false", "yes", "on"])},
        {"name": "WORKERS", "value": str(rng.randrange(1, 17))},
        {"name": "PEER_DNS", "value": f"{app}-headless.team-{zlib.crc32(app.encode()) % 8}.svc.cluster.local"},
        {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": f"{app}-secret", "key": "password"}}},
    ]
    return {
        "name": app,
        "image": rng.choice(_IMAGES),
        "imagePullPolicy": "IfNotPresent",
        "args": ["--config=/etc/app/app.conf", f"--port={port}", "--bind=0.0.0.0", f"--peers={app}-0,{app}-1,{app}-2"],
        "env": env,
        "envFrom": [{"configMapRef": {"name": f"{app}-env"}}],
        "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}, {"name": "metrics", "containerPort": 9090}],
        "livenessProbe": {
            "exec": {"command": ["sh", "-c", f"curl -fsS http://127.0.0.1:{port}/healthz || exit 1"]},
            "initialDelaySeconds": 30, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 6,
        },
        "readinessProbe": {
            "httpGet": {"path": "/ready", "port": "http", "scheme": "HTTP"},
            "initialDelaySeconds": 5, "periodSeconds": 5, "successThreshold": 1,
        },
        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
        "securityContext": {"runAsNonRoot": True, "runAsUser": 1001, "readOnlyRootFilesystem": True},
        "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}, {"name": "data", "mountPath": "/data"}],
    }


def _pod_template(app: str, rng: random.Random) -> dict:
    return {
        "metadata": {"labels": {"app.kubernetes.io/name": app, "app.kubernetes.io/instance": f"{app}-prod"},
                     "annotations": {"checksum/config": hashlib.sha256(app.encode()).hexdigest()}},
        "spec": {
            "serviceAccountName": app,
            "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
                "weight": 1,
                "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname",
                                    "labelSelector": {"matchLabels": {"app.kubernetes.io/name": app}}},
            }]}},
            "containers": [_container(app, rng)],
            "volumes": [{"name": "config", "configMap": {"name": f"{app}-config", "defaultMode": 420}}],
        },
    }


def _statefulset(app: str, rng: random.Random) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": _meta("StatefulSet", app, app, rng),
        "spec": {
            "serviceName": f"{app}-headless",
            "replicas": rng.choice([1, 3, 5]),
            "podManagementPolicy": "Parallel",
            "selector": {"matchLabels": {"app.kubernetes.io/name": app, "app.kubernetes.io/instance": f"{app}-prod"}},
            "template": _pod_template(app, rng),
            "volumeClaimTemplates": [{
                "metadata": {"name": "data"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "8Gi"}}},
            }],
        },
    }


def _deployment(app: str, rng: random.Random) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": _meta("Deployment", f"{app}-web", app, rng),
        "spec": {
            "replicas": rng.randrange(1, 6),
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
            "selector": {"matchLabels": {"app.kubernetes.io/name": app, "app.kubernetes.io/instance": f"{app}-prod"}},
            "template": _pod_template(app, rng),
        },
    }


def _config_files(app: str, rng: random.Random) -> dict:
    servers = "\n".join(f"    server {app}-{k}.{app}-headless:8080 max_fails=3;" for k in range(rng.randrange(2, 6)))
    nginx = (
        "worker_processes auto;\nevents { worker_connections 1024; }\nhttp {\n"
        f"  upstream {app} {{\n{servers}\n  }}\n"
        "  server {\n    listen 0.0.0.0:8080;\n    listen [::]:8080;\n    location / {\n"
        f"      proxy_pass http://{app};\n      proxy_set_header Host $host;\n    }}\n  }}\n}}\n"
    )
    props = "".join(f"app.setting.{k}={rng.choice(['true', 'false', '0777', '1.50', 'yes', 'off'])}\n" for k in range(12))
    app_yaml = (
        "server:\n  address: 0.0.0.0\n  port: 8080\n"
        f"cluster:\n  seeds:\n" + "".join(f"    - {app}-{k}.{app}-headless\n" for k in range(3))
        + "  timeout: 22:22\n  enabled: yes\n"
    )
    return {"nginx.conf": nginx, "application.properties": props, "application.yaml": app_yaml,
            "settings.json": json.dumps({"name": app, "replicas": 3, "bind": "::"}, indent=2) + "\n"}


def _configmap(app: str, rng: random.Random, files: bool) -> dict:
    if files:
        name, data = f"{app}-config", _config_files(app, rng)
    else:
        name = f"{app}-env"
        data = {"JAVA_OPTS": "-Djava.net.preferIPv4Stack=true -Xmx512m", "PORT": "8080", "DEBUG": "false",
                "OCTAL_MODE": "0644", "TIME": "12:30", "EMPTY": "", "NULLISH": "null", "CACHE_URL": f"redis://{app}-cache:6379/0"}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta("ConfigMap", name, app, rng), "data": data}


def _secret(app: str, rng: random.Random) -> dict:
    return {
        "apiVersion": "v1", "kind": "Secret", "metadata": _meta("Secret", f"{app}-secret", app, rng), "type": "Opaque",
        "data": {"password": hashlib.sha256(app.encode()).hexdigest()[:24], "username": "YXBw"},
    }


def _service_account(app: str, rng: random.Random) -> dict:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta("ServiceAccount", app, app, rng),
            "automountServiceAccountToken": False}


# Ten objects per application: 4 Services (one headless, one ExternalName), 2 workloads,
# 2 ConfigMaps, a Secret and a ServiceAccount.
_SLOTS = ["svc", "headless", "sts", "cm-files", "svc-metrics", "deploy", "cm-env", "external", "secret", "sa"]


def generated_object(index: int) -> dict:
    rng = random.Random(index)
    slot = _SLOTS[index % len(_SLOTS)]
    app = f"app{index // len(_SLOTS):05d}"
    if slot == "svc":
        return _service(index, app, rng, "clusterip")
    if slot == "svc-metrics":
        return _service(index, app, rng, "metrics")
    if slot in ("headless", "external"):
        return _service(index, app, rng, {"headless": "headless", "external": "externalname"}[slot])
    if slot == "sts":
        return _statefulset(app, rng)
    if slot == "deploy":
        return _deployment(app, rng)
    if slot == "cm-files":
        return _configmap(app, rng, files=True)
    if slot == "cm-env":
        return _configmap(app, rng, files=False)
    if slot == "sa":
        return _service_account(app, rng)
    return _secret(app, rng)


def generated_objects(count: int) -> list[dict]:
    return [generated_object(i) for i in range(count)]


# ---------------------------------------------------------------- files


def mix(size: int, with_charts: bool = True) -> list[dict]:
    """size objects: whole chart instances for about a quarter, generated objects for the rest."""
    from_charts = chart_objects(size // CHART_SHARE) if with_charts else []
    return from_charts + generated_objects(size - len(from_charts))


def _key(*parts: str) -> str:
    h = hashlib.sha256(Path(__file__).read_bytes() + json.dumps(PLAN, sort_keys=True).encode())
    for p in parts:
        h.update(p.encode())
    return h.hexdigest()[:16]


def input_file(size: int, with_charts: bool = True) -> Path:
    """The ResourceList of size objects (with the IPv6Plan functionConfig), written once and cached."""
    texts = "".join(t for _, _, t in chart_texts()) if with_charts else "no charts"
    path = CACHE / "inputs" / f"rl-{size}-{_key(str(size), texts)}.yaml"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(yaml12.dump(resource_list(mix(size, with_charts))))
        tmp.replace(path)
    return path


def empty_file() -> Path:
    """An empty ResourceList that still carries the plan: what every render pays before any object."""
    path = CACHE / "inputs" / f"rl-empty-{_key('empty')}.yaml"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml12.dump(resource_list([])))
    return path


def kustomize_resources(count: int) -> Path:
    """count generated objects as a multi-document YAML file for kustomize (no chart renders:
    a built-in patch cannot do what the adapters do, so the comparison is Services only)."""
    path = CACHE / "inputs" / f"kustomize-{count}-{_key('kustomize', str(count))}.yaml"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml12.dump_all(generated_objects(count)))
    return path
