"""Django system checks, with stable ids, for what an operator configured.

Importing this package registers them: ``settings`` for the Django settings and
``OTEL_*`` variables, ``tokens`` for the GA tokens in the database, ``deployment``
for DEBUG, the SDK switch and the Celery beat schedule.
"""

from __future__ import annotations

from aa_otel_analytics.checks import deployment, settings, tokens

__all__ = ["deployment", "settings", "tokens"]
