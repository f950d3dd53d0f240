"""The read-only audit admin and the "What this server sent" page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone

from aa_otel_analytics.audit import chart
from aa_otel_analytics.models import AnalyticsSentBatch
from tests.audit.seed import dropped, sent

REPORT = "/admin/aa_otel_analytics/analyticssentbatch/sent/"
CHANGELIST = "/admin/aa_otel_analytics/analyticssentbatch/"
SECRET = "KLlpjLZ-SRGozS5f5wb_kw"
SVG = "{http://www.w3.org/2000/svg}"


def chart_svg(html: str) -> ET.Element:
    [markup] = re.findall(r'<svg id="aa-audit-chart".*?</svg>', html, re.S)
    return ET.fromstring(markup)


def bars(svg: ET.Element) -> list[dict[str, str]]:
    return [
        {**rect.attrib, "title": rect.find(f"{SVG}title").text}
        for rect in svg.iter(f"{SVG}rect")
    ]


def test_the_audit_admin_is_read_only(admin_client, db):
    row = sent(timezone.localdate(), page_views=2, body={"events": []})

    change = f"{CHANGELIST}{row.pk}/change/"
    assert admin_client.get(CHANGELIST).status_code == 200
    assert admin_client.get(change).status_code == 200
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert admin_client.get(f"{CHANGELIST}{row.pk}/delete/").status_code == 403
    assert admin_client.post(change, {"token_name": "x"}).status_code == 403
    assert AnalyticsSentBatch.objects.get().token_name == "AA Team"
    assert b"delete_selected" not in admin_client.get(CHANGELIST).content


def test_the_changelist_filters_by_token_and_outcome(admin_client, db):
    sent(timezone.localdate(), page_views=1, token="A")
    dropped(timezone.localdate(), "http_500", 1, token="B")

    response = admin_client.get(CHANGELIST, {"outcome": "dropped"})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    assert admin_client.get(CHANGELIST, {"token_name": "A"}).status_code == 200
    assert b"sent_at__year" in admin_client.get(CHANGELIST).content


def test_the_page_is_linked_from_the_app_index_and_changelist(admin_client):
    assert REPORT.encode() in admin_client.get("/admin/aa_otel_analytics/").content
    assert REPORT.encode() in admin_client.get(CHANGELIST).content


def test_the_page_needs_a_logged_in_staff_user(client, db):
    assert client.get(REPORT).status_code == 302

    user = User.objects.create_user("member", password="pw")
    client.force_login(user)
    response = client.get(REPORT)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_staff_without_the_view_permission_is_refused(client, db):
    staff = User.objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(staff)
    assert client.get(REPORT).status_code == 403

    staff.user_permissions.add(
        Permission.objects.get(codename="view_analyticssentbatch")
    )
    staff = User.objects.get(pk=staff.pk)
    client.force_login(staff)
    assert client.get(REPORT).status_code == 200


def test_the_page_shows_totals_drops_and_payloads(admin_client):
    today = timezone.localdate()
    sent(today, page_views=3, task_events=1, body={"client_id": "abc", "events": []})
    dropped(today, "over_budget", 12)
    dropped(today, "http_500", 2, token="AA Team")

    html = admin_client.get(REPORT).content.decode()

    assert "What this server sent" in html
    assert re.search(r"Events sent</th><td>4<", html)
    assert re.search(r"<code>over_budget</code></td><td>12<", html)
    assert re.search(r"<code>http_500</code></td><td>2<", html)
    assert "&quot;client_id&quot;: &quot;abc&quot;" in html
    assert SECRET not in html
    assert "<script" not in html.split('id="content-main"')[1]


def test_the_chart_bars_are_scaled_and_stacked(admin_client):
    today = timezone.localdate()
    sent(today, page_views=10, task_events=5, stats=5)
    sent(today - timezone.timedelta(days=3), task_events=4)

    svg = chart_svg(admin_client.get(REPORT).content.decode())
    drawn = bars(svg)

    # The busiest day has 20 events, so the scale tops out at 20.
    unit = chart.PLOT_HEIGHT / 20
    by_title = {bar["title"]: bar for bar in drawn}
    assert len(drawn) == 4
    today_pv = by_title[f"{today:%Y-%m-%d}: 10 page views"]
    today_te = by_title[f"{today:%Y-%m-%d}: 5 task events"]
    today_st = by_title[f"{today:%Y-%m-%d}: 5 stats"]
    assert float(today_pv["height"]) == pytest.approx(10 * unit)
    assert float(today_te["height"]) == pytest.approx(5 * unit)
    assert float(today_st["height"]) == pytest.approx(5 * unit)
    baseline = chart.TOP + chart.PLOT_HEIGHT
    assert float(today_pv["y"]) + float(today_pv["height"]) == pytest.approx(baseline)
    assert float(today_te["y"]) + float(today_te["height"]) == pytest.approx(
        float(today_pv["y"])
    )
    assert float(today_st["y"]) == pytest.approx(chart.TOP)
    earlier = [b for b in drawn if b["title"].endswith(": 4 task events")]
    assert float(earlier[0]["height"]) == pytest.approx(4 * unit)
    assert float(earlier[0]["x"]) < float(today_pv["x"])


def test_the_chart_has_axis_labels_a_legend_and_a_title(admin_client):
    html = admin_client.get(REPORT).content.decode()
    svg = chart_svg(html)

    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "Day" in texts and "Events" in texts
    assert svg.find(f"{SVG}title").text.startswith("Events sent per day")
    assert svg.get("role") == "img"
    for label in ("Page views", "Task events", "Stats"):
        assert f"</span>{label}</li>" in html


def test_the_chart_numbers_are_not_localised(admin_client, settings):
    settings.LANGUAGE_CODE = "de"
    sent(timezone.localdate(), page_views=3)

    svg = chart_svg(
        admin_client.get(REPORT, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    )

    assert all("," not in bar["height"] for bar in bars(svg))


@pytest.mark.parametrize(
    ("value", "ceiling"), [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (4001, 5000)]
)
def test_the_scale_tops_out_at_a_round_number(value, ceiling):
    assert chart.nice_ceiling(value) == ceiling
