"""The first ``migrate`` tells the operator what is sent and how to opt out."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.scripting import ROOT


def migrate(tmp_path) -> str:
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="tests.process_settings",
        AA_DEMO_DB=str(tmp_path / "db.sqlite3"),
        PYTHONPATH=str(ROOT),
    )
    out = subprocess.run(
        [sys.executable, "-m", "django", "migrate"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return out.stdout


def test_the_first_migrate_prints_the_notice_once(tmp_path):
    first = migrate(tmp_path)
    again = migrate(tmp_path)

    assert first.count("anonymous usage analytics is now on") == 1
    assert "ANALYTICS_DISABLED = True" in first
    assert "analytics_status" in first
    assert "What this server sent" in first
    assert "anonymous usage analytics" not in again


def test_a_site_that_opted_out_is_not_told_analytics_is_on(tmp_path, monkeypatch):
    monkeypatch.setenv("AA_TEST_DISABLED", "1")

    out = migrate(tmp_path)

    assert "now on" not in out
    assert "switched off (ANALYTICS_DISABLED)" in out
