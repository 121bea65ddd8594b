#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import shlex
import sys


def main():
    """Run administrative tasks."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "movieratings.settings")
    try:
        from django.core.management import execute_from_command_line
    except ImportError as exc:
        raise ImportError(
            "Couldn't import Django. Are you sure it's installed and "
            "available on your PYTHONPATH environment variable? Did you "
            "forget to activate a virtual environment?"
        ) from exc
    from django.core.exceptions import ImproperlyConfigured

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        if os.environ.get("DJANGO_ENV"):
            raise
        # No DJANGO_ENV means production settings, which refuse a checkout's
        # missing secrets: say how to run locally, without a traceback.
        command = shlex.join([os.path.relpath(sys.executable), *sys.argv])
        sys.exit(
            f"{exc}\nDJANGO_ENV is not set, so these are production settings; "
            f"on your own machine run: DJANGO_ENV=development {command}"
        )


if __name__ == "__main__":
    main()
