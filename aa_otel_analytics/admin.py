"""Admin pages: the identifier is read-only, tokens are where operators opt out,
and the audit trail shows what this server sent."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.html import format_html

from aa_otel_analytics.audit.report import page_context, pretty_json
from aa_otel_analytics.models import (
    AnalyticsIdentifier,
    AnalyticsSentBatch,
    AnalyticsTokens,
)


@admin.register(AnalyticsIdentifier)
class AnalyticsIdentifierAdmin(admin.ModelAdmin):
    list_display = ("identifier",)
    readonly_fields = ("identifier",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: AnalyticsIdentifier | None = None
    ) -> bool:
        return False


class TokenForm(forms.ModelForm):
    """Never renders the stored secret; leaving the field empty keeps it."""

    secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep the current secret.",
    )

    class Meta:
        model = AnalyticsTokens
        fields = "__all__"

    def clean_secret(self) -> str:
        value: str = self.cleaned_data.get("secret") or ""
        if not value and self.instance.pk:
            return self.instance.secret
        return value


@admin.register(AnalyticsTokens)
class AnalyticsTokensAdmin(admin.ModelAdmin):
    form = TokenForm
    list_display = (
        "name",
        "type",
        "token",
        "send_page_views",
        "send_celery_tasks",
        "send_stats",
    )
    list_filter = ("type", "send_page_views", "send_celery_tasks", "send_stats")
    search_fields = ("name", "token")

    def get_fields(
        self, request: HttpRequest, obj: AnalyticsTokens | None = None
    ) -> list[str]:
        """A read-only view shows fields as text, so the secret is left out of it."""
        fields = list(super().get_fields(request, obj))
        if self.has_change_permission(request, obj):
            return fields
        return [name for name in fields if name != "secret"]


@admin.register(AnalyticsSentBatch)
class AnalyticsSentBatchAdmin(admin.ModelAdmin):
    """The audit trail, read-only, and the "What this server sent" page."""

    change_list_template = "admin/aa_otel_analytics/analyticssentbatch/change_list.html"
    date_hierarchy = "sent_at"
    list_display = (
        "sent_at",
        "token_name",
        "outcome",
        "reason",
        "http_status",
        "page_views",
        "task_events",
        "stats",
        "represented",
        "size_bytes",
    )
    list_filter = ("token_name", "outcome", "reason")
    fields = (
        "sent_at",
        "token_name",
        "outcome",
        "reason",
        "http_status",
        "size_bytes",
        "events",
        "page_views",
        "task_events",
        "stats",
        "represented",
        "payload",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: AnalyticsSentBatch | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: AnalyticsSentBatch | None = None
    ) -> bool:
        return False

    @admin.display(description="payload")
    def payload(self, obj: AnalyticsSentBatch) -> str:
        if obj.body is None:
            return "-"
        return format_html("<pre>{}</pre>", pretty_json(obj.body))

    def get_urls(self) -> list[URLPattern]:
        report = path(
            "sent/",
            self.admin_site.admin_view(self.report_view),
            name="aa_otel_analytics_sent_report",
        )
        return [report, *super().get_urls()]

    def report_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied

        return TemplateResponse(
            request,
            "admin/aa_otel_analytics/what_was_sent.html",
            {
                **self.admin_site.each_context(request),
                **page_context(),
                "opts": self.opts,
            },
        )
