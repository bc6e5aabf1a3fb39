"""The `clientela` console script: a thin wrapper over Django's management commands.

`clientela serve` runs the development server on 127.0.0.1:8000 together with a background worker
(imports and other jobs run there); every other word is passed to Django as it is (`clientela migrate`,
`clientela demo --people 1000`, `clientela purge`, ...). Dashed names work too: `clientela demo-islands`
is the `demo_islands` command.
"""

from __future__ import annotations

import os
import subprocess
import sys


def _worker() -> subprocess.Popen[bytes] | None:
    """A database-backed task worker beside the web server, unless another backend does the work."""
    if os.environ.get("CLIENTELA_NO_WORKER"):
        return None
    return subprocess.Popen(
        [sys.executable, "-m", "clientela.cli", "db_worker", "--interval", "1", "--no-reload", "-v", "0"]
    )


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    if args and "-" in args[0] and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    if args and args[0] == "serve":
        rest = args[1:] or ["127.0.0.1:8000"]
        args = (
            ["runserver", "--noreload", *rest]
            if "--reload" not in rest
            else ["runserver", *[a for a in rest if a != "--reload"]]
        )
        worker = _worker()
        try:
            execute_from_command_line(["clientela", *args])
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)
        return
    execute_from_command_line(["clientela", *args])


if __name__ == "__main__":
    main()
