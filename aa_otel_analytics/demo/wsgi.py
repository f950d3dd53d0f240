from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aa_otel_analytics.demo.settings")

application = get_wsgi_application()
