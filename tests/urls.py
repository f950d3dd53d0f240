"""The demo's URLs plus patterns only the tests need."""

from __future__ import annotations

from django.urls import include, path

from aa_otel_analytics.demo import views

urlpatterns = [
    path("unnamed/<int:pk>/", views.fleet),
    path("", include("aa_otel_analytics.demo.urls")),
]
