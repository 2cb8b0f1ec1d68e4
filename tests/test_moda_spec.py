"""checks/a11y_spec.py: the 網站無障礙規範 edition as a setting.

SPEC `[accessibility] spec`/`level`/`tags`: default axe tags per edition and
level, the rules only for 4.1.1 off in 115.11, the 檢測碼 per axe RULE and
edition, the codes axe does not cover, config validation naming the key.
All read from the shipped tables in checks/data/.
"""
from __future__ import annotations

import csv
from importlib import resources

import pytest

from checks import a11y_spec as spec


@pytest.mark.parametrize("edition, level, tags", [
    ("115.11", "AA", ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")),
    ("110.07", "AA", ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")),
    ("115.11", "A", ("wcag2a", "wcag21a")),
    ("115.11", "AAA", ("wcag2a", "wcag2aa", "wcag2aaa", "wcag21a", "wcag21aa", "wcag22aa")),
    ("110.07", "AAA", ("wcag2a", "wcag2aa", "wcag2aaa", "wcag21a", "wcag21aa")),
])
def test_default_tags(edition, level, tags):
    assert spec.default_tags(edition, level) == tags


def test_parsing_rules_off_in_115_11_only():
    assert spec.disabled_rules("115.11") == {"duplicate-id": {"enabled": False},
                                             "duplicate-id-active": {"enabled": False}}
    assert spec.disabled_rules("110.07") == {}
    opts = spec.axe_options("115.11", "AA")
    assert opts["runOnly"] == {"type": "tag", "values": list(spec.default_tags("115.11", "AA"))}
    assert opts["rules"] == spec.disabled_rules("115.11")
    assert "rules" not in spec.axe_options("110.07", "AA", tags=["wcag2a"])
    assert spec.axe_options("110.07", "AA", tags=["wcag2a"])["runOnly"]["values"] == ["wcag2a"]


def test_criteria_per_edition():
    new, old = spec.criteria("115.11"), spec.criteria("110.07")
    assert len(new) == 86 and "4.1.1" not in new
    assert len(old) == 78 and old["4.1.1"].level == "A"
    assert {"2.4.11", "2.5.7", "2.5.8", "3.2.6", "3.3.7", "3.3.8"} <= set(new) - set(old)
    assert new["2.5.8"].zh_name == "目標尺寸(最小)" and new["2.5.8"].level == "AA"
    assert new["3.1.1"].zh_name == "網頁語言"
    assert sum(1 for c in new.values() if c.level in ("A", "AA")) == 55


def test_machine_codes_per_edition():
    new, old = spec.machine_codes("115.11"), spec.machine_codes("110.07")
    assert len(new) == 28
    assert [sum(1 for c in new.values() if c.level == lv) for lv in ("A", "AA", "AAA")] == [21, 2, 5]
    assert "HM1410100C" not in new and "HM1410100C" in old
    assert "HM1130105C" in new and "HM1130105C" not in old and "HM1130103C_1" in old


def test_hm1130103c_means_optgroup_in_115_11_and_fieldset_in_110_07():
    new = spec.code_info("HM1130103C", "115.11")
    old = spec.code_info("HM1130103C", "110.07")
    assert new is not None and old is not None
    assert "optgroup" in new.zh_description and new.help_url.endswith("/Detail/1510?Category=63")
    assert old.zh_description == "表單控制項群組需以適當組件建立結構關係"
    assert old.help_url.endswith("/Detail/1509?Category=63")
    fieldset = spec.code_info("HM1130105C", "115.11")
    assert fieldset is not None and fieldset.help_url == old.help_url and fieldset.other_code == "HM1130103C"
    assert spec.code_info("HM1130103C_1", "110.07").help_url == new.help_url


def test_help_url_pattern():
    for edition in spec.KNOWN_SPECS:
        for c in spec.machine_codes(edition).values():
            assert c.help_url.startswith("https://accessibility.moda.gov.tw/Download/Detail/"), c.code
    assert spec.code_info("CS3140800C").help_url.endswith("/Detail/1530?Category=63")


def test_codes_per_axe_rule_not_per_criterion():
    assert spec.moda_codes_for_axe_rule("image-alt") == ("HM1110100C",)
    assert spec.moda_codes_for_axe_rule("label") == ("HM1130104C", "HM1410200C")
    assert spec.moda_codes_for_axe_rule("list") == ()  # 1.3.1, but no table/heading/form code
    assert spec.moda_codes_for_axe_rule("color-contrast") == ()
    assert spec.moda_codes_for_axe_rule("td-headers-attr") == ("HM1130102C",)
    assert spec.moda_codes_for_axe_rule("valid-lang") == ("HM1310100C", "HM2310200C")
    # no axe rule stands for the 115.11 optgroup code (PDIS's HM1130103C meant 110.07 numbering)
    every_rule = [r["axe_rule"] for r in csv.DictReader(
        resources.files("checks.data").joinpath("axe-to-moda.csv").open(encoding="utf-8"))]
    assert all("HM1130103C" not in spec.moda_codes_for_axe_rule(r, "115.11") for r in every_rule)


def test_own_check_codes_at_aa_115_11():
    assert set(spec.own_check_codes("115.11", "AA")) == {
        "CS2140401C", "HM1110106C", "HM1130100C", "HM1130101C", "HM1130103C", "HM1130104C", "HM1130105C",
        "HM1130200C", "HM1240102C", "HM1240400C", "HM2310200C", "ME1320200C"}
    assert set(spec.own_check_codes("115.11", "AAA")) - set(spec.own_check_codes("115.11", "AA")) == {
        "CS3140800C", "CS3140801C", "CS3140802C", "HM3240900C", "HM3241000C"}
    level_a = spec.own_check_codes("115.11", "A")
    assert "CS2140401C" not in level_a and "HM2310200C" not in level_a and "HM1110106C" in level_a


def test_every_code_is_axe_own_or_manual_with_a_reason():
    for edition in spec.KNOWN_SPECS:
        own = set(spec.own_check_codes(edition, "AAA"))
        covered = spec.axe_covered_codes(edition, spec.default_tags(edition, "AAA"))
        manual = spec.not_machine_checkable(edition)
        for code in spec.machine_codes(edition):
            assert code in own or code in covered or code in manual, (edition, code)
        assert all(manual.values())  # every manual code says why, in Chinese
    assert set(spec.not_machine_checkable("115.11")) == {"HM1110103C"}
    assert "HM1110103C" in spec.not_covered_by_axe("115.11", "AA")


def test_axe_rules_run_by_the_default_tags():
    run = spec.rules_run("115.11", spec.default_tags("115.11", "AA"))
    assert {"image-alt", "target-size", "valid-lang", "td-headers-attr"} <= run
    assert not run & {"duplicate-id", "p-as-heading", "color-contrast-enhanced"}
    assert "target-size" not in spec.rules_run("110.07", spec.default_tags("110.07", "AA"))


def test_validation_names_the_key():
    spec.validate("115.11", "AA")
    spec.validate("110.07", "AAA", tags=["wcag2a", "best-practice"], accesskeys=["U", "c", "1"])
    with pytest.raises(spec.SpecError, match=r"^accessibility\.spec: .*115\.1"):
        spec.validate("115.1", "AA")
    with pytest.raises(spec.SpecError, match=r"^accessibility\.level: "):
        spec.validate("115.11", "aa")
    with pytest.raises(spec.SpecError, match=r"^accessibility\.tags: "):
        spec.validate("115.11", "AA", tags=["wcag 2a"])
    with pytest.raises(spec.SpecError, match=r"^accessibility\.accesskeys: "):
        spec.validate("115.11", "AA", accesskeys=["UC"])
    with pytest.raises(ValueError):
        spec.default_tags("115.11", "AAAA")


def test_edition_names():
    assert spec.edition_name("115.11") == "網站無障礙規範 115.11（WCAG 2.2）"
    assert spec.edition_name("110.07") == "網站無障礙規範 110.07（WCAG 2.1）"


def test_shipped_tables_equal_the_shared_data_where_copied():
    """The 115.11 tables ship byte-identical to ../shared/data (provenance in its README)."""
    from pathlib import Path

    shared = Path("/work/shared/data")
    if not shared.is_dir():
        pytest.skip("shared data folder not on this machine")
    for name in ("moda-115.11-machine-codes.csv", "moda-115.11-criteria.csv", "axe-to-moda.csv",
                 "freego-v3-rules.csv"):
        shipped = resources.files("checks.data").joinpath(name).read_bytes()
        assert shipped == (shared / name).read_bytes(), name
