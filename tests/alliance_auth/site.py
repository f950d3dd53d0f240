"""An Alliance Auth site made with ``allianceauth start``, and its processes."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import requests

from tests.alliance_auth.environment import Server, free_port, wait_until

ADMIN_PASSWORD = "Admin-pw-123"

# Appended to the template's local.py: everything on 127.0.0.1, nothing real.
_LOCAL_SETTINGS = """
# ---- test site: everything on 127.0.0.1 ----
SECRET_KEY = "test-secret-key-not-for-production-0123456789abcdef"
DEBUG = False
SITE_URL = {site_url!r}
ALLOWED_HOSTS = ["127.0.0.1"]
CSRF_TRUSTED_ORIGINS = [SITE_URL]
CSRF_COOKIE_SECURE = False  # base.py sets both; plain http needs them off
SESSION_COOKIE_SECURE = False
STATIC_ROOT = {static_root!r}
ESI_SSO_CALLBACK_URL = SITE_URL + "/sso/callback"
ESI_SSO_CLIENT_ID = "placeholder-client-id"
ESI_SSO_CLIENT_SECRET = "placeholder-client-secret"
ESI_USER_CONTACT_EMAIL = "test@example.invalid"  # blank is a system check error
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DATABASES["default"] = {database!r}
BROKER_URL = {redis_url!r} + "/0"
CACHES["default"]["LOCATION"] = {redis_url!r} + "/1"
# The one Alliance Auth task that calls out (to gitlab.com), hourly.
CELERYBEAT_SCHEDULE.pop("admin_status_tasks", None)
"""

_OUR_APP_SETTINGS = """
# ---- aa-otel-analytics, as the README's "Installing into Alliance Auth" ----
INSTALLED_APPS += ["aa_otel_analytics"]
ANALYTICS_ENDPOINT = {endpoint!r}
ANALYTICS_CONFIG_REFRESH_SECS = 5
CELERYBEAT_SCHEDULE["aa_otel_analytics_daily_stats"] = {{
    "task": "aa_otel_analytics.tasks.analytics_daily_stats",
    "schedule": crontab(minute="0", hour="2"),
}}
CELERYBEAT_SCHEDULE.pop("analytics_daily_stats", None)
"""


class AllianceAuthSite:
    """One site directory; every command runs with the trap proxy set."""

    def __init__(
        self,
        venv: Path,
        root: Path,
        *,
        database: dict[str, str],
        redis_url: str,
        proxy_url: str,
    ) -> None:
        self.venv = venv
        self.root = root
        self.project = root / "myauth"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.logs = root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.env = _site_environment(venv, proxy_url)
        self.processes: dict[str, Server] = {}

        subprocess.run(
            [str(venv / "bin" / "allianceauth"), "start", "myauth"],
            cwd=root,
            env=self.env,
            check=True,
            capture_output=True,
        )
        self._append_settings(
            _LOCAL_SETTINGS.format(
                site_url=self.url,
                static_root=str(root / "static") + "/",
                database=database,
                redis_url=redis_url,
            )
        )

    def add_our_app(self, endpoint: str) -> None:
        self._append_settings(_OUR_APP_SETTINGS.format(endpoint=endpoint))

    def _append_settings(self, text: str) -> None:
        with open(self.project / "myauth" / "settings" / "local.py", "a") as local:
            local.write(text)

    def manage(self, *args: str, **env: str) -> str:
        done = subprocess.run(
            [str(self.venv / "bin" / "python"), "manage.py", *args],
            cwd=self.project,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"manage.py {args[0]}:\n{done.stderr[-4000:]}"
        return done.stdout

    def shell_json(self, code: str) -> object:
        """Run ``code`` in ``manage.py shell``; it prints one JSON line last."""
        out = self.manage("shell", "-c", code)
        return json.loads(out.strip().splitlines()[-1])

    def prepare(self) -> None:
        self.manage("migrate", "--noinput")
        self.manage("collectstatic", "--noinput")
        self.manage(
            "createsuperuser",
            "--noinput",
            "--username",
            "admin",
            "--email",
            "admin@example.invalid",
            DJANGO_SUPERUSER_PASSWORD=ADMIN_PASSWORD,
        )

    def start(self) -> None:
        """gunicorn, a Celery worker and beat, as supervisor would run them."""
        bin_dir = self.venv / "bin"
        commands = {
            "gunicorn": [
                str(bin_dir / "gunicorn"),
                "myauth.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--no-control-socket",
            ],
            "worker": [
                str(bin_dir / "celery"),
                "-A",
                "myauth",
                "worker",
                "-l",
                "info",
                "-c",
                "2",
            ],
            "beat": [
                str(bin_dir / "celery"),
                "-A",
                "myauth",
                "beat",
                "-l",
                "info",
                "-s",
                str(self.root / "beat-schedule"),
            ],
        }
        for name, argv in commands.items():
            self.processes[name] = Server(
                argv, self.logs / f"{name}.log", cwd=self.project, env=self.env
            )
        # /admin/ is on the token's ignore list: probing it sends no page view.
        wait_until(self._serving, 60, "gunicorn")
        wait_until(lambda: "ready." in self.log("worker"), 60, "the celery worker")

    def _serving(self) -> bool:
        for name, process in self.processes.items():
            assert process.running(), f"{name} exited:\n{self.log(name)[-3000:]}"
        try:
            response = local_session().get(self.url + "/admin/login/", timeout=5)
        except requests.ConnectionError:
            return False
        return response.status_code == 200

    def stop(self) -> dict[str, int | None]:
        """SIGTERM each process, as supervisor does; their exporters flush."""
        return {name: process.stop() for name, process in self.processes.items()}

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def login(self) -> requests.Session:
        session = local_session()
        page = session.get(self.url + "/admin/login/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, "no CSRF token on /admin/login/"
        session.post(
            self.url + "/admin/login/",
            data={
                "csrfmiddlewaretoken": token.group(1),
                "username": "admin",
                "password": ADMIN_PASSWORD,
                "next": "/admin/",
            },
            headers={"Referer": self.url + "/admin/login/"},
            timeout=10,
        )
        assert "sessionid" in session.cookies, "admin login failed"
        return session


def local_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # the test itself never goes through the trap
    return session


def _site_environment(venv: Path, proxy_url: str) -> dict[str, str]:
    """The test's environment minus its Django, OTel and analytics settings."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("OTEL_", "ANALYTICS_", "DJANGO_", "CELERY_"))
        and name not in {"PYTHONPATH", "VIRTUAL_ENV"}
        and name.lower() not in {"http_proxy", "https_proxy", "no_proxy"}
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env[name] = proxy_url
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env
