"""Admin pages: the identifier is read-only, tokens are where operators opt out."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from aa_otel_analytics.models import AnalyticsIdentifier, AnalyticsTokens


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
