"""Chart version constraints follow Helm's (Masterminds semver v3) rules."""
import pytest

from krmfn.adapters.semver import Version, bounds, matches, valid

CASES = [
    # (version, constraint, matches?)
    ("8.8.18", ">=8.0.0 <9.0.0", True),
    ("9.0.0", ">=8.0.0 <9.0.0", False),
    ("8.8.18", ">=8.0.0, <9.0.0", True),
    ("7.5.4", "~7.5.0", True),
    ("7.6.0", "~7.5.0", False),
    ("7.9.1", "~7", True),
    ("7.9.1", "7.x", True),
    ("8.0.0", "7.x", False),
    ("1.4.0", "^1.2.3", True),
    ("2.0.0", "^1.2.3", False),
    ("0.2.5", "^0.2.3", True),
    ("0.3.0", "^0.2.3", False),
    ("8.8.18", "8.8.18", True),
    ("8.8.19", "8.8.18", False),
    ("v8.8.18", "=8.8.18", True),
    ("1.3.0", "!=1.2", True),
    ("1.2.5", "!=1.2", False),
    ("1.2.5", "1.2 - 1.4", True),
    ("1.4.9", "1.2 - 1.4", True),
    ("1.5.0", "1.2 - 1.4", False),
    ("1.2.3", ">1.2", False),
    ("1.3.0", ">1.2", True),
    ("1.2.9", "<=1.2", True),
    ("1.3.0", "<=1.2", False),
    ("6.14.12", ">=6.14.12 <8.0.0 || ~8.8.18", True),
    ("8.8.18", ">=6.14.12 <8.0.0 || ~8.8.18", True),
    ("8.9.0", ">=6.14.12 <8.0.0 || ~8.8.18", False),
    ("2.0.0", "*", True),
    ("1.0.0+build.7", "1.0.0", True),  # build metadata never counts
    # Pre-releases: only for constraints that name one, and below their release.
    ("9.0.0-rc.1", ">=8.0.0", False),
    ("9.0.0-rc.1", ">=9.0.0-0", True),
    ("1.0.0-beta", "1.0.0-beta", True),
    ("1.0.0", ">1.0.0-beta", True),
    ("1.0.0-alpha", ">1.0.0-beta", False),
    ("1.0.0-rc.2", ">=1.0.0-rc.1 <1.0.0", True),
    ("not-a-version", ">=0.0.0", False),
]


@pytest.mark.parametrize(("version", "constraint", "expected"), CASES)
def test_helm_semver(version, constraint, expected):
    assert matches(version, constraint) is expected


def test_precedence():
    order = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
             "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0"]
    parsed = [Version.parse(v) for v in order]
    assert sorted(reversed(parsed)) == parsed


@pytest.mark.parametrize("constraint", ["", ">= x.y", "~>", "abc", "1.2.3.4"])
def test_malformed_constraints_are_not_valid(constraint):
    assert not valid(constraint)


def test_catalog_ranges_read_lower_and_upper():
    assert bounds(">=8.0.0 <9.3.3") == (Version.parse("8.0.0"), Version.parse("9.3.3"))
    assert bounds(">=19.0.0") == (Version.parse("19.0.0"), None)
    with pytest.raises(ValueError):
        bounds("~8.8.18")
