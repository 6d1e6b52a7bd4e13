"""The ``dure`` command: Django's management commands under one name.

``dure migrate``, ``dure runserver``, ``dure load-reference``, ``dure reindex`` … Our own
commands are named with underscores in Python (``load_reference``) and may be called with
hyphens on the command line.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dure.settings")
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    argv[0] = "dure"
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
