"""A real Alliance Auth 5.5 site per test, on SQLite or MariaDB, with Redis."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from tests.alliance_auth.environment import (
    TrapProxy,
    alliance_auth_venv,
    mariadb_server,
    redis_server,
)
from tests.alliance_auth.site import AllianceAuthSite


@pytest.fixture(scope="session")
def aa_venv():
    return alliance_auth_venv()


@pytest.fixture
def trap() -> Iterator[TrapProxy]:
    with TrapProxy() as proxy:
        yield proxy


@pytest.fixture(params=["sqlite", "mariadb"])
def site(request, aa_venv, trap, tmp_path) -> Iterator[AllianceAuthSite]:
    """A fresh site without our app; ``add_our_app`` installs it."""
    with ExitStack() as stack:
        redis_url = stack.enter_context(redis_server(tmp_path))
        if request.param == "mariadb":
            database = stack.enter_context(mariadb_server(tmp_path))
        else:
            database = {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(tmp_path / "alliance_auth.sqlite3"),
            }
        aa_site = AllianceAuthSite(
            aa_venv,
            tmp_path,
            database=database,
            redis_url=redis_url,
            proxy_url=trap.url,
        )
        try:
            yield aa_site
        finally:
            aa_site.stop()
