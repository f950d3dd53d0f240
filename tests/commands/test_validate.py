"""``analytics_validate``: example payloads checked by GA's validation endpoint."""

from __future__ import annotations

from aa_otel_analytics._ga4 import payload
from aa_otel_analytics.models import AnalyticsTokens
from aa_otel_analytics.receiver import Fault
from tests.commands.conftest import fails, run

PLAIN_WORDS = "It does\nnot check the measurement id or the API secret"


def test_valid_payloads_pass_and_go_only_to_the_validation_path(site, receiver):
    site.ANALYTICS_ENDPOINT = receiver.url

    out = run("analytics_validate").out

    assert out.count("valid: no validation messages") == 2
    assert out.rstrip().endswith("all 2 payloads valid")
    assert {r.path for r in receiver.received} == {"/debug/mp/collect"}
    assert all(r.api_secret_present for r in receiver.received)
    kinds = sorted(e["name"] for e in receiver.events())
    assert kinds.count("page_view") == 1
    assert kinds.count("celery_event") >= 6


def test_it_says_the_endpoint_does_not_check_id_or_secret(site, receiver):
    site.ANALYTICS_ENDPOINT = receiver.url

    assert PLAIN_WORDS in run("analytics_validate").out


def test_the_validation_path_is_used_whatever_debug_says(site, receiver):
    site.ANALYTICS_ENDPOINT = receiver.url
    site.DEBUG = True
    site.ANALYTICS_ENABLE_DEBUG = True

    run("analytics_validate")

    assert {r.path for r in receiver.received} == {"/debug/mp/collect"}


def test_validation_messages_are_printed_and_exit_non_zero(site, receiver, monkeypatch):
    site.ANALYTICS_ENDPOINT = receiver.url
    broken = {"1st-version": {"value": "0.1.0"}}
    monkeypatch.setattr(payload, "user_properties", lambda: broken)

    failed = fails("analytics_validate")

    assert failed.err == "GA's validation endpoint reported 2 problems"
    messages = [m for r in receiver.received for m in r.messages]
    assert [m["fieldPath"] for m in messages] == ["user_properties.1st-version"] * 2
    line = "NAME_INVALID user_properties.1st-version: User property name [1st-version]"
    assert failed.out.count(line) == 2
    assert '"1st-version"' in failed.out, "the offending body is shown"


def test_an_unreachable_endpoint_exits_non_zero(site):
    site.ANALYTICS_ENDPOINT = "http://127.0.0.1:9"
    site.ANALYTICS_EXPORT_DEADLINE_SECS = 1

    error = fails("analytics_validate").err

    assert error == (
        "could not reach GA's validation endpoint at "
        "http://127.0.0.1:9/debug/mp/collect (network)"
    )


def test_an_answer_that_is_not_ga_json_exits_non_zero(site, receiver):
    site.ANALYTICS_ENDPOINT = receiver.url
    receiver.fault = Fault.GARBAGE

    assert "not GA's JSON" in fails("analytics_validate").err


def test_nothing_is_sent_while_analytics_is_off(site, receiver):
    site.ANALYTICS_ENDPOINT = receiver.url
    site.ANALYTICS_DISABLED = True

    assert "sends nothing to GA while it is off" in fails("analytics_validate").err
    assert receiver.received == []


def test_a_malformed_endpoint_is_an_error(site):
    site.ANALYTICS_ENDPOINT = "not a url"

    assert "ANALYTICS_ENDPOINT is malformed" in fails("analytics_validate").err


def test_no_used_token_is_an_error(site, receiver):
    site.ANALYTICS_ENDPOINT = receiver.url
    AnalyticsTokens.objects.update(type="GA-U")

    assert "no token is used" in fails("analytics_validate").err
    assert receiver.received == []
