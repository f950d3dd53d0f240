"""What the operator's management commands show: status and example payloads.

The commands in ``management/commands`` stay thin; the work they share (reading the
configuration as the exporter would, and building example requests through the real
mapping and packing) lives here, so what they print is what the exporters send.
"""

from __future__ import annotations
