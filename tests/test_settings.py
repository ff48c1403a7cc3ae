"""One settings table (db/settings.py): parsed one way, named in errors, and all in README."""
from __future__ import annotations

import os
import re

import pytest

from db import settings
from tests.helpers import ROOT


def _readme_settings() -> set[str]:
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def test_readme_lists_every_setting_and_no_other():
    assert _readme_settings() == set(settings.SETTINGS)


def test_no_module_reads_the_environment_for_a_setting_itself():
    """Settings come from db.settings; only it (and launch scripts) read os.environ for them."""
    offenders = []
    for folder in ("db", "ui", "app_pages", "migrate", "server", "api"):
        for name in os.listdir(os.path.join(ROOT, folder)):
            path = os.path.join(ROOT, folder, name)
            if not name.endswith(".py") or path.endswith(os.path.join("db", "settings.py")):
                continue
            source = open(path, encoding="utf-8").read()
            for setting in settings.SETTINGS:
                if re.search(rf"environ(\.get)?[\[(]\s*['\"]{setting}['\"]", source):
                    offenders.append(f"{folder}/{name}: {setting}")
    assert offenders == []


@pytest.mark.parametrize("value, expected", [("", 8), ("  ", 8), ("12", 12)])
def test_unset_or_empty_is_the_default_and_a_number_parses(monkeypatch, value, expected):
    monkeypatch.setenv("MTM_POOL_SIZE", value)
    assert settings.get("MTM_POOL_SIZE") == expected


@pytest.mark.parametrize("value", ["eight", "0", "-3", "1.5"])
def test_a_bad_value_names_the_setting(monkeypatch, value):
    monkeypatch.setenv("MTM_POOL_SIZE", value)
    with pytest.raises(settings.BadSetting, match=r"^MTM_POOL_SIZE="):
        settings.get("MTM_POOL_SIZE")


@pytest.mark.parametrize("value, expected", [("1", True), ("yes", True), ("0", False), ("false", False),
                                             ("", False)])
def test_flags(monkeypatch, value, expected):
    monkeypatch.setenv("MTM_NO_DEMO", value)
    assert settings.get("MTM_NO_DEMO") is expected
