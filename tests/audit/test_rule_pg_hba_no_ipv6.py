import pytest

from audit_support import DUAL_IPV4, DUAL_IPV6, IPV4, IPV6, chart, configmap, hits, load

RULE = "pg-hba-no-ipv6"

HBA = """local    all          all                    trust
host     all          all        127.0.0.1/32 trust
# host   all          all        ::/0         md5   (a comment is no rule)
host     all          all        0.0.0.0/0    md5
hostssl  replication  repl       0.0.0.0/0    md5
"""


def cm(text: str = HBA, key: str = "pg_hba.conf") -> dict:
    return configmap("pg", **{key: text})


def test_ipv4_rules_without_ipv6_twins_are_an_error_with_the_twins_as_fix():
    [hit] = hits([cm()], RULE)
    assert hit.severity == "error"
    assert hit.finding.path == "data.pg_hba.conf"
    assert hit.finding.found == "line 4: host all all 0.0.0.0/0 md5 (+1 more)"
    lines = hit.finding.proposed.split("\n")
    # Each twin right after its rule, the columns kept, nothing else moved.
    assert lines[3:7] == ["host     all          all        0.0.0.0/0    md5",
                          "host     all          all        ::/0         md5",
                          "hostssl  replication  repl       0.0.0.0/0    md5",
                          "hostssl  replication  repl       ::/0         md5"]
    assert [line for line in lines if "::/0" not in line or line.startswith("#")] == HBA.split("\n")
    # The proposal passes its own rule.
    assert hits([cm(hit.finding.proposed)], RULE) == []


def test_a_narrower_ipv4_range_is_named_without_a_mechanical_fix():
    text = "host all app 10.244.0.0/16 scram-sha-256\nhost all all ::/0 md5"
    [hit] = hits([cm(text)], RULE)
    assert hit.finding.found == "line 1: host all app 10.244.0.0/16 scram-sha-256"
    assert hit.result().to_dict().get("proposedValue") is None


@pytest.mark.parametrize("text", [
    HBA.replace("0.0.0.0/0    md5\n", "0.0.0.0/0    md5\nhost all all fd00::/8 md5\n")
       .replace("hostssl  replication  repl       0.0.0.0/0", "hostssl  replication  repl       all"),
    "host all all all md5",
    "host all all samenet md5\nhost all all 10.0.0.0/8 md5",
    "host all all .cluster.local md5\nhost all all 0.0.0.0/0 md5",
    "local all all trust\nhost all all 127.0.0.1/32 trust",
    'host all "my user" 0.0.0.0/0 md5\nhost all "my user" ::/0 md5',
], ids=["ipv6-range-and-all", "all", "samenet", "host-name", "loopback-only", "quoted"])
def test_rules_that_admit_ipv6_are_not_a_hit(text):
    assert hits([cm(text)], RULE) == []


def test_a_quoted_field_is_one_field_as_postgresql_reads_it():
    [hit] = hits([cm('host  all  "my user # not a comment"  0.0.0.0/0  md5')], RULE)
    assert hit.finding.proposed == ('host  all  "my user # not a comment"  0.0.0.0/0  md5\n'
                                    'host  all  "my user # not a comment"  ::/0       md5')


def test_families_of_the_plan():
    assert hits([cm()], RULE, IPV4) == []
    assert [h.severity for h in hits([cm()], RULE, DUAL_IPV4)] == ["warning"]
    assert [h.severity for h in hits([cm()], RULE, DUAL_IPV6)] == ["error"]


def test_pool_hba_and_a_text_that_is_clearly_pg_hba_under_another_key():
    assert [h.finding.path for h in hits([cm(key="pool_hba.conf")], RULE)] == ["data.pool_hba.conf"]
    assert [h.finding.path for h in hits([cm(key="hba")], RULE)] == ["data.hba"]
    # A text that is not only pg_hba rules under another key is not read as one.
    assert hits([cm("listen_addresses = '*'\n" + HBA, key="postgresql.conf")], RULE) == []


def test_a_secret_key_is_read_decoded():
    import base64

    secret = load(f"""
    apiVersion: v1
    kind: Secret
    metadata: {{name: pg, namespace: default}}
    data:
      pg_hba.conf: {base64.b64encode(HBA.encode()).decode()}
    """)
    assert [h.finding.path for h in hits(secret, RULE)] == ["data.pg_hba.conf"]


USER_HBA = "local all all trust\nhost all all 0.0.0.0/0 md5\nhost replication all 0.0.0.0/0 md5"


@pytest.mark.parametrize(("archive", "sets", "key"), [
    ("postgresql-15.5.38", "primary.pgHbaConfiguration", "pg_hba.conf"),
    ("postgresql-17.1.0", "primary.pgHbaConfiguration", "pg_hba.conf"),
    ("postgresql-ha-14.3.10", "postgresql.pgHbaConfiguration", "pg_hba.conf"),
    ("postgresql-ha-16.3.4", "pgpool.poolHbaConfiguration", "pool_hba.conf"),
])
def test_a_users_pg_hba_in_a_real_render_is_flagged_and_krmfn_output_is_not(archive, sets, key):
    from krmfn import plan as plan_mod
    from tests import charts
    from tests.chartrun import run_function

    objs = chart(archive, f"{sets}={USER_HBA.replace(',', chr(92) + ',')}")
    [hit] = hits(objs, RULE)
    assert hit.finding.path == f"data.{key}" and hit.obj["kind"] == "ConfigMap"
    rc, output, _ = run_function(objs, charts.plan("ipv6"))
    assert rc == 0
    assert hits(output["items"], RULE, plan_mod.from_dict(charts.plan("ipv6"))) == []
    # The audit's mechanical fix is what the adapter wrote.
    [fixed] = [o for o in output["items"] if o["kind"] == "ConfigMap" and key in (o.get("data") or {})]
    assert fixed["data"][key] == hit.finding.proposed


@pytest.mark.parametrize("archive", ["postgresql-17.1.0", "postgresql-ha-16.3.4"])
def test_the_charts_defaults_render_no_pg_hba(archive):
    """The chart's default leaves pg_hba.conf to the image: nothing in the manifests to flag (the adapters say why)."""
    assert hits(chart(archive), RULE) == []
