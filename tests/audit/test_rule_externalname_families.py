from audit_support import hits

RULE = "externalname-families"


def service(**spec):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext"}, "spec": spec}


def test_both_fields():
    found = hits([service(type="ExternalName", externalName="db.example.com", ipFamilyPolicy="SingleStack",
                          ipFamilies=["IPv6"])], RULE)
    assert [h.finding.path for h in found] == ["spec.ipFamilyPolicy", "spec.ipFamilies"]
    assert all(h.severity == "error" for h in found)


def test_not_a_hit():
    assert hits([service(type="ExternalName", externalName="db.example.com")], RULE) == []
    assert hits([service(type="ClusterIP", ipFamilies=["IPv6"], selector={"a": "b"})], RULE) == []
