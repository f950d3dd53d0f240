from __future__ import annotations

from django.contrib import admin
from django.urls import include, path, re_path

from aa_otel_analytics.demo import views

api_patterns = [path("items/<slug:slug>/", views.item, name="item")]

urlpatterns = [
    path("", views.home, name="home"),
    path("fleet/<int:pk>/", views.fleet, name="fleet"),
    re_path(r"^legacy/(?P<year>[0-9]{4})/$", views.legacy, name="legacy"),
    path("search/", views.search, name="search"),
    path("boom/", views.boom, name="boom"),
    path("health/", views.health, name="health"),
    path("me/", views.me, name="me"),
    path(
        "user_notifications_count/<int:user_pk>/",
        views.notifications,
        name="notifications_count",
    ),
    path("api/", include((api_patterns, "api"))),
    path("admin/", admin.site.urls),
]

urlpatterns.append(path("dashboard/", views.dashboard, name="dashboard"))
