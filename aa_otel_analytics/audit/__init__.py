"""The audit trail: what this server sent to GA, batch by batch, and what it dropped.

``recorder`` writes one ``AnalyticsSentBatch`` row per delivered or dropped batch
from a thread of its own; ``summary`` answers the admin page's and the commands'
questions; ``retention`` keeps the table bounded. Nothing is recorded while events
go to GA's validation endpoint (Django's ``DEBUG``).
"""

from __future__ import annotations
