"""``analytics_preview``: the exact bodies that would be sent, and no network."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from aa_otel_analytics.models import AnalyticsIdentifier, AnalyticsTokens
from aa_otel_analytics.receiver import validate_request
from aa_otel_analytics.tasks import analytics_daily_stats
from tests.commands.conftest import fails, requests_in, run
from tests.conftest import flush

TEAM = "AA Team Public Google Analytics (V4)"


def previewed(*args: str) -> dict[str, tuple[str, dict]]:
    """What each printed request holds, by what it is: its URL and parsed body."""
    found = {}
    for heading, url, body in requests_in(run("analytics_preview", *args).out):
        what = heading.split(": ", 1)[1].rsplit(",", 1)[0]
        found[what] = (url, json.loads(body))
    return found


def without_time(body: dict) -> dict:
    """A body with its clock readings removed, to compare two runs."""
    events = [
        {
            "name": e["name"],
            "params": {k: v for k, v in e["params"].items() if k != "session_id"},
        }
        for e in body["events"]
    ]
    return {**body, "events": events}


def test_it_prints_stats_and_one_page_view_and_task_event(site):
    found = previewed()

    _, stats = found["daily stats"]
    labels = {e["params"]["label"] for e in stats["events"]}
    assert {"existence", "users", "tokens", "addons"} <= labels
    _, activity = found["example page view and task event"]
    assert [e["name"] for e in activity["events"]] == ["page_view", "celery_event"]
    client_id = AnalyticsIdentifier.objects.get(pk=1).identifier.hex
    assert stats["client_id"] == activity["client_id"] == client_id


def test_the_url_names_the_token_and_masks_the_secret(site):
    for url, _ in previewed().values():
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == "http://127.0.0.1:9"
        assert parts.path == "/mp/collect"
        assert parse_qs(parts.query) == {
            "measurement_id": ["G-6LYSMYK8DE"],
            "api_secret": ["***"],
        }


def test_every_body_is_valid_by_ga_rules(site):
    for heading, url, body in requests_in(run("analytics_preview").out):
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assert validate_request("/mp/collect", query, body.encode()) == [], heading


def test_it_makes_no_network_call(site, no_network):
    assert previewed()
    assert no_network == []


def test_the_running_pipeline_sends_nothing_for_it(analytics, receiver):
    run("analytics_preview")
    flush()

    assert receiver.received == []


def test_stats_bodies_are_what_the_daily_task_sends(analytics, receiver):
    _, previewed_stats = previewed()["daily stats"]

    analytics_daily_stats()

    [request] = receiver.received
    assert without_time(request.body) == without_time(previewed_stats)


def test_a_page_view_is_what_a_real_request_sends(analytics, receiver, client):
    found = previewed("--path", "/fleet/42/?q=Pilot")
    _, activity = found["example page view and task event"]

    client.get("/fleet/42/?q=Pilot")
    flush()

    [sent] = receiver.events("page_view")
    [shown] = [e for e in activity["events"] if e["name"] == "page_view"]
    assert (
        shown["params"]["page_location"]
        == "https://allianceauth.invalid/fleet/<int:pk>/"
    )
    assert without_time({"events": [shown]}) == without_time({"events": [sent]})


def test_the_task_event_has_the_params_a_real_task_sends(analytics, receiver):
    from aa_otel_analytics.demo import tasks

    _, activity = previewed()["example page view and task event"]

    tasks.add.delay(1, 2)
    flush()

    [sent] = receiver.events("celery_event")
    [shown] = [e for e in activity["events"] if e["name"] == "celery_event"]
    assert shown["params"].keys() == sent["params"].keys()
    assert (shown["params"]["task"], shown["params"]["result"]) == (
        "update_character",
        "Success",
    )


def test_a_token_with_a_kind_off_gets_none_of_it(site):
    AnalyticsTokens.objects.filter(pk=1).update(send_page_views=False)

    out = run("analytics_preview").out

    assert f"token '{TEAM}': no page views (switched off)" in out
    _, activity = previewed()["example page view and task event"]
    assert [e["name"] for e in activity["events"]] == ["celery_event"]


def test_an_ignored_path_is_said_and_left_out(site):
    out = run("analytics_preview", "--path", "/admin/")

    assert f"token '{TEAM}': no page view of /admin/ (it matches an ignore path)" in (
        out.out
    )
    _, activity = previewed("--path", "/admin/")["example page view and task event"]
    assert [e["name"] for e in activity["events"]] == ["celery_event"]


def test_skipped_tokens_are_named(site):
    AnalyticsTokens.objects.create(name="Old", type="GA-U", token="UA-1-1", secret="x")

    out = run("analytics_preview").out

    assert "token 'Old' is skipped: GA-U is Universal Analytics" in out
    assert "UA-1-1" not in "".join(body for _, _, body in requests_in(out))


def test_with_analytics_off_it_says_so_and_still_shows_the_bodies(site):
    site.ANALYTICS_DISABLED = True

    out = run("analytics_preview").out

    assert out.startswith("analytics is OFF (the ANALYTICS_DISABLED setting)")
    assert len(requests_in(out)) == 2


def test_no_token_means_nothing_would_be_sent(site):
    AnalyticsTokens.objects.all().delete()

    out = run("analytics_preview").out

    assert "nothing would be sent" in out
    assert requests_in(out) == []


def test_pretty_is_the_same_json_indented(site):
    out = run("analytics_preview", "--pretty").out

    assert '\n  "client_id": ' in out
    assert "POST " in out


def test_a_path_the_site_does_not_serve_is_an_error(site):
    assert (
        "/no/such/page/ matches no URL pattern"
        in fails("analytics_preview", "--path", "/no/such/page/").err
    )
