"""Pages shaped like Alliance Auth's: ids in URLs, titles that name people."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def _page(request: HttpRequest, title: str, body: str) -> HttpResponse:
    return render(request, "demo/page.html", {"title": title, "body": body})


def home(request: HttpRequest) -> HttpResponse:
    return _page(request, "Dashboard", "Welcome to the demo site.")


def fleet(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, f"Fleet {pk} of Pilot Secretname", "Fleet details.")


def legacy(request: HttpRequest, year: str) -> HttpResponse:
    return _page(request, f"Archive {year}", "Old things.")


def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    return _page(request, f"Search: {query}", "No results.")


def item(request: HttpRequest, slug: str) -> HttpResponse:
    return _page(request, f"Item {slug}", "An item.")


def me(request: HttpRequest) -> HttpResponse:
    name = request.user.get_username() if request.user.is_authenticated else "anon"
    return _page(request, f"Profile of {name}", f"Hello {name}.")


def notifications(request: HttpRequest, user_pk: int) -> HttpResponse:
    return _page(request, "Notifications", str(user_pk))


def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


def boom(request: HttpRequest) -> HttpResponse:
    raise ValueError("kaboom with secret detail")


def dashboard(request: HttpRequest) -> HttpResponse:
    """A page of realistic weight: two queries and about 20 KB of HTML."""
    from django.contrib.auth.models import Group, User
    from django.db.models import Count

    members = User.objects.order_by("username").values(
        "pk", "username", "first_name", "last_name", "email", "date_joined"
    )[:40]
    groups = Group.objects.annotate(size=Count("user")).order_by("name")
    context = {"title": "Member dashboard", "members": members, "groups": groups}
    return render(request, "demo/dashboard.html", context)
