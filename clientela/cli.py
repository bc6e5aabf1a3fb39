"""The `clientela` console script: a thin wrapper over Django's management commands.

`clientela serve` runs the development server on 127.0.0.1:8000; every other word is passed to
Django as it is (`clientela migrate`, `clientela demo --people 1000`, `clientela purge`, ...).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    if args and args[0] == "serve":
        rest = args[1:] or ["127.0.0.1:8000"]
        args = (
            ["runserver", "--noreload", *rest]
            if "--reload" not in rest
            else ["runserver", *[a for a in rest if a != "--reload"]]
        )
    execute_from_command_line(["clientela", *args])


if __name__ == "__main__":
    main()
