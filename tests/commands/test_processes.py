"""The commands as an operator runs them: ``python -m django <command>``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.commands.conftest import SECRET
from tests.scripting import ROOT

pytestmark = pytest.mark.slow

_TIMEOUT_SECS = 120


def manage(db_path, *args: str, stdin: str = "", **env_extra: str):
    """Run one command as a fresh process; its output never holds the secret."""
    env = dict(os.environ)
    for name in list(env):
        if name.startswith("OTEL_"):
            del env[name]
    env.update(
        DJANGO_SETTINGS_MODULE="tests.process_settings",
        AA_DEMO_DB=str(db_path),
        ANALYTICS_ENDPOINT="http://127.0.0.1:9",
        PYTHONPATH=str(ROOT),
    )
    env.update(env_extra)
    done = subprocess.run(
        [sys.executable, "-m", "django", *args],
        env=env,
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_SECS,
    )
    assert SECRET not in done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("site") / "db.sqlite3"
    done = manage(db_path, "migrate", "--noinput")
    assert done.returncode == 0, done.stderr
    return db_path


def test_status_json_in_a_real_process(migrated):
    done = manage(migrated, "analytics_status", "--json")

    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    assert status["enabled"] is True
    assert status["tokens"][0]["secret"] == "set"


def test_send_stats_delivers_before_the_process_exits(migrated, receiver):
    done = manage(migrated, "analytics_send_stats", ANALYTICS_ENDPOINT=receiver.url)

    assert done.returncode == 0, done.stderr
    count = len(receiver.events("celery_event"))
    assert count >= 5
    assert f"sent {count} events in 1 request" in done.stdout


def test_validate_exits_non_zero_on_a_bad_answer(migrated, receiver):
    receiver.fault = receiver.fault.GARBAGE

    done = manage(migrated, "analytics_validate", ANALYTICS_ENDPOINT=receiver.url)

    assert done.returncode == 1
    assert "CommandError: the validation endpoint's answer is not GA's JSON" in (
        done.stderr
    )


def test_preview_and_dry_run_send_nothing(migrated, receiver):
    for args in (["analytics_preview"], ["analytics_send_stats", "--dry-run"]):
        done = manage(migrated, *args, ANALYTICS_ENDPOINT=receiver.url)
        assert done.returncode == 0, done.stderr
        assert "api_secret=***" in done.stdout

    assert receiver.received == []


def test_reset_asks_and_a_closed_stdin_cancels(migrated):
    before = json.loads(manage(migrated, "analytics_status", "--json").stdout)

    cancelled = manage(migrated, "analytics_reset_identifier")
    confirmed = manage(migrated, "analytics_reset_identifier", stdin="yes\n")

    after = json.loads(manage(migrated, "analytics_status", "--json").stdout)
    assert cancelled.returncode == 1
    assert "cancelled: the install id is unchanged" in cancelled.stderr
    assert confirmed.returncode == 0, confirmed.stderr
    assert f"new install id: {after['install_id']}" in confirmed.stdout
    assert after["install_id"] != before["install_id"]


def test_an_unmigrated_database_fails_with_a_hint(tmp_path):
    done = manage(tmp_path / "empty.sqlite3", "analytics_status")

    assert done.returncode == 1
    assert "has `python manage.py migrate` been run?" in done.stderr


def test_disabled_send_stats_exits_non_zero(migrated):
    done = manage(migrated, "analytics_send_stats", AA_TEST_DISABLED="1")

    assert done.returncode == 1
    assert "analytics is off (the ANALYTICS_DISABLED setting)" in done.stderr


def test_send_stats_on_an_unmigrated_database_fails_with_a_hint(tmp_path):
    done = manage(tmp_path / "empty.sqlite3", "analytics_send_stats")

    assert done.returncode == 1
    assert "has `python manage.py migrate` been run?" in done.stderr
    assert "Traceback" not in done.stderr


def test_status_runs_even_when_a_check_would_stop_other_commands(migrated):
    done = manage(migrated, "analytics_status", ANALYTICS_ENDPOINT="ftp://nowhere")

    assert done.returncode == 0, done.stderr
    assert "ANALYTICS_ENDPOINT is malformed" in done.stdout


def test_the_sdk_switch_still_previews_and_says_it_is_off(migrated):
    preview = manage(migrated, "analytics_preview", OTEL_SDK_DISABLED="true")
    dry_run = manage(
        migrated, "analytics_send_stats", "--dry-run", OTEL_SDK_DISABLED="true"
    )

    assert preview.returncode == 0, preview.stderr
    assert "analytics is OFF" in preview.stdout
    assert '"name":"page_view"' in preview.stdout
    assert dry_run.returncode == 0, dry_run.stderr
    assert "analytics is OFF" in dry_run.stdout
    assert "OpenTelemetry's SDK is disabled" in dry_run.stdout
