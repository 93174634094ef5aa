"""valkey adapter: a verified no-op. Nothing is edited on either path; the checks prove on every render what the
intents' why claims (no bind line, no --bind, names announced) and fail when user values break it.

Every archive (2.4.7, 3.0.31, 4.0.2), default (replication) and sentinel renders. No Valkey server runs
offline: nothing here is a runtime proof.
"""
import copy
import re

import pytest

from krmfn import audit
from krmfn import plan as plan_mod
from krmfn.adapters import catalog, checks, engine, values
from krmfn.adapters.detect import instances
from tests import charts
from tests.chartrun import run_function, strip_families, values_path

COMP = catalog.builtin("valkey")
MODES = ["ipv6", "dual-ipv4", "dual-ipv6"]
ARCHIVES = charts.chart_archives("valkey")
PINNED, NEWEST = ARCHIVES[0], charts.newest("valkey")
SENTINEL = {"sentinel": {"enabled": True}}
INTENTS = [i.id for i in COMP.adapter.spec.intents]

version = charts.version_of
base = charts.repeatable


def sentinel(archive: str) -> dict:
    return charts.merge(base(archive), SENTINEL)


def plan(mode: str):
    return plan_mod.from_dict(charts.plan(mode))


def intent(intent_id: str):
    return next(i for i in COMP.adapter.spec.intents if i.id == intent_id)


def composed(archive: str, mode: str = "ipv6", user: dict | None = None):
    return values.compose(COMP, version(archive), plan(mode), charts.RELEASE, charts.NAMESPACE, user=user or {})


def failures(intent_id: str, objs: list[dict], archive: str, on: str = "function") -> list[str]:
    env = composed(archive).env
    return [r.message for r in checks.run(COMP, COMP.binding(version(archive)), [intent(intent_id)], objs, env, on)]


def data(objs: list[dict], key: str) -> str:
    [text] = [o["data"][key] for o in objs if o["kind"] == "ConfigMap" and key in (o.get("data") or {})]
    return text



def errors(output: dict) -> list[str]:
    return [r["message"] for r in output["results"] if r["severity"] == "error"]


def test_one_range_holds_every_archive():
    assert [b.versions for b in COMP.bindings] == [">=2.0.0"]
    assert sorted(COMP.bindings[0].range.evidence) == sorted(ARCHIVES) and len(ARCHIVES) == 3


# ---------------------------------------------------------------- what the why claims, read off the render

RENDERS = [(a, v) for a in ARCHIVES for v in ("default", "sentinel")]


def render(archive: str, variant: str) -> list[dict]:
    return charts.render(archive, sentinel(archive) if variant == "sentinel" else base(archive))


@pytest.mark.parametrize("archive,variant", RENDERS)
def test_no_bind_anywhere_in_the_render(archive, variant):
    """Valkey keeps its `* -::*` default only while nothing says bind: no config line, no --bind argument."""
    objs = render(archive, variant)
    confs = ["valkey.conf", "primary.conf", "replica.conf"] + (["sentinel.conf"] if variant == "sentinel" else [])
    for key in confs:
        assert not [l for l in data(objs, key).splitlines() if l.split()[:1] == ["bind"]], key
    scripts = ["start-node.sh", "start-sentinel.sh"] if variant == "sentinel" else ["start-primary.sh", "start-replica.sh"]
    for key in scripts:
        text = data(objs, key)
        assert "exec valkey-server" in text and "--bind" not in text, key


@pytest.mark.parametrize("archive,variant", RENDERS)
def test_names_are_announced(archive, variant):
    objs = render(archive, variant)
    script = data(objs, "start-node.sh" if variant == "sentinel" else "start-replica.sh")
    assert 'echo "replica-announce-ip $(get_full_hostname "$HOSTNAME")"' in script
    # useHostnames: true (the chart's default) makes get_full_hostname answer the name itself.
    assert 'echo "${full_hostname}"' in script and "getent hosts \"${full_hostname}\"" not in script
    if variant == "sentinel":
        start = data(objs, "start-sentinel.sh")
        for line in ("sentinel announce-hostnames yes", "sentinel resolve-hostnames yes",
                     'sentinel announce-ip $(get_full_hostname "$HOSTNAME")'):
            assert f'echo "{line}"' in start, line
        [monitor] = [l for l in data(objs, "sentinel.conf").splitlines() if l.startswith("sentinel monitor")]
        host = monitor.split()[3]
        assert host.startswith("rel-valkey-node-0.rel-valkey-headless.") and not re.fullmatch(r"[\d.]+|[\da-f:]+", host)


@pytest.mark.parametrize("archive", ARCHIVES)
def test_the_sentinel_lookup_is_a_presence_test(archive):
    """The one place the scripts see an address: `ip` is only ever tested with -n, never written or compared."""
    start = data(render(archive, "sentinel"), "start-sentinel.sh")
    uses = [l.strip() for l in start.splitlines() if re.search(r"\$\{?ip\b", l)]
    assert uses and all(re.search(r'-n "\$ip"', u) or re.fullmatch(r'add_known_\w+ "\$hostname" "\$ip"', u) for u in uses), uses
    assert [l.strip() for l in start.splitlines() if re.search(r'\bip="\$2"', l)] == ['ip="$2"'] * 2
    hits = audit.audit(render(archive, "sentinel"), plan("ipv6")).hits
    assert not [h for h in hits if h.rule.ID == "single-family-script"]


# ---------------------------------------------------------------- both paths: nothing edited, checks pass


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive,variant", RENDERS)
def test_function_path_changes_only_service_families(archive, variant, mode):
    before = render(archive, variant)
    rc, output, _ = run_function(copy.deepcopy(before), charts.plan(mode))
    assert rc == 0 and not errors(output)
    assert strip_families(output["items"]) == before
    [info] = [r["message"] for r in output["results"] if r["message"].startswith("valkey adapter")]
    expected = INTENTS if variant == "sentinel" else [i for i in INTENTS if i != "sentinel-announces-names"]
    assert all(f"{i} (checks only)" in info for i in expected) and info.count("(checks only)") == len(expected), info


@pytest.mark.parametrize("mode", ["dual-ipv4", "dual-ipv6"])
@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_headless_service_follows_the_plan_on_dual_stack(archive, mode):
    """Names all the way (sentinel-announces-names): no intent owns the headless Service's families."""
    rc, output, _ = run_function(render(archive, "sentinel"), charts.plan(mode))
    [headless] = [o for o in output["items"] if o["kind"] == "Service" and o["spec"].get("clusterIP") == "None"]
    assert rc == 0 and headless["spec"]["ipFamilies"] == charts.PLANS[mode]
    assert headless["spec"]["ipFamilyPolicy"] == "PreferDualStack"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_values_path_writes_nothing(archive, mode):
    for user in (base(archive), sentinel(archive)):
        overlay, rendered, fails = values_path(archive, mode, user)
        assert overlay == {} and fails == [] and rendered == charts.render(archive, user)


@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_sentinel_fact_agrees_on_both_paths(archive):
    b = COMP.binding(version(archive))
    for vals, expected in ((base(archive), 0), (sentinel(archive), 1)):
        [inst] = instances(charts.render(archive, vals))
        assert engine._fact(b, "sentinel", inst, "valkey") == expected
        assert values._fact(b, "sentinel", vals) == expected


# ---------------------------------------------------------------- the checks fail when user values break it

NARROW = ["bind 0.0.0.0", "bind ::", "bind 127.0.0.1 -::1", "  bind 10.0.0.5"]
BOTH = ["bind * -::*", "bind 0.0.0.0 ::", "# bind 0.0.0.0"]
CONFIG_KEYS = [("commonConfiguration", "valkey.conf"), ("primary.configuration", "primary.conf"),
               ("replica.configuration", "replica.conf")]


def nested(dotted: str, value) -> dict:
    out = value
    for part in reversed(dotted.split(".")):
        out = {part: out}
    return out


@pytest.mark.parametrize("key,conf", CONFIG_KEYS)
@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_a_users_bind_that_leaves_out_a_family_is_caught(archive, key, conf):
    for line in NARROW:
        user = charts.merge(base(archive), nested(key, f"appendonly yes\n{line}"))
        objs = charts.render(archive, user)
        assert line.strip() in data(objs, conf)
        rc, output, _ = run_function(objs, charts.plan("ipv6"))
        assert rc == 1 and any("no-bind-line check failed" in e and f"data[{conf}]" in e for e in errors(output)), line
        _, _, fails = values_path(archive, "dual-ipv6", user)
        assert any("no-bind-line" in f and conf in f for f in fails), line
    for line in BOTH:
        user = charts.merge(base(archive), nested(key, f"appendonly yes\n{line}"))
        assert not failures("no-bind-line", charts.render(archive, user), archive), line


@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_a_bind_flag_is_read_like_a_bind_line(archive):
    for side, script in (("replica", "start-replica.sh"), ("primary", "start-primary.sh")):
        objs = charts.render(archive, charts.merge(base(archive), {side: {"extraFlags": ["--bind 0.0.0.0"]}}))
        assert 'ARGS+=("--bind 0.0.0.0")' in data(objs, script)
        assert [f for f in failures("no-bind-line", objs, archive) if script in f]
        ok = charts.render(archive, charts.merge(base(archive), {side: {"extraFlags": ["--bind 0.0.0.0 ::"]}}))
        assert not failures("no-bind-line", ok, archive)
    objs = charts.render(archive, charts.merge(sentinel(archive), {"replica": {"extraFlags": ["--bind ::"]}}))
    assert [f for f in failures("no-bind-line", objs, archive) if "start-node.sh" in f]


@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_sentinel_configuration_that_takes_over_the_announce_lines_is_caught(archive):
    for conf, gone in (("sentinel announce-ip 10.0.0.5", "announce-ip"),
                       ("sentinel announce-hostnames no", "announce-hostnames"),
                       ("bind 0.0.0.0", None)):
        user = charts.merge(sentinel(archive), {"sentinel": {"configuration": conf}})
        objs = charts.render(archive, user)
        if gone:  # the template leaves its own line out when the configuration mentions the setting
            assert f'echo "sentinel {gone}' not in data(objs, "start-sentinel.sh")
        rc, output, _ = run_function(objs, charts.plan("dual-ipv6"))
        wanted = "sentinel-announces-names check failed"
        assert rc == 1 and any(wanted in e for e in errors(output)), (conf, errors(output))
    assert not failures("sentinel-announces-names", render(archive, "sentinel"), archive)


@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_a_monitor_by_address_is_caught(archive):
    [chk] = [c for c in intent("sentinel-announces-names").checks if c.matches and "monitor" in c.matches]
    env = composed(archive).env
    good = data(render(archive, "sentinel"), "sentinel.conf")
    assert checks.failure(chk, good, env) is None
    for host in ("10.0.0.5", "fd00::5"):
        bad = re.sub(r"(?m)^(sentinel monitor \S+) \S+", rf"\1 {host}", good)
        assert checks.failure(chk, bad, env), host


@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_use_hostnames_false_is_the_audits_to_say(archive):
    """With useHostnames=false get_full_hostname answers the first `getent hosts` address: the announce lines
    stay (the adapter's checks pass), and the audit's single-family-script rule reports each script."""
    user = charts.merge(sentinel(archive), {"useHostnames": False})
    rc, output, _ = run_function(charts.render(archive, user), charts.plan("dual-ipv6"))
    assert rc == 0 and not errors(output)
    said = [r["message"] for r in output["results"] if "[single-family-script]" in r["message"]]
    assert len(said) == 4 and all("grep ." in s for s in said), said
