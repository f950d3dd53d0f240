"""Command line: ``python -m aa_otel_analytics receiver|demo``."""

from __future__ import annotations

import sys

_USAGE = "usage: python -m aa_otel_analytics {receiver,demo} [options]"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in ("receiver", "demo"):
        print(_USAGE, file=sys.stderr)
        return 2

    if args[0] == "receiver":
        from aa_otel_analytics.receiver.cli import main as receiver_main

        return receiver_main(args[1:])

    from aa_otel_analytics.demo.run import main as demo_main

    return demo_main(args[1:])


if __name__ == "__main__":
    sys.exit(main())
