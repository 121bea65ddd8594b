import os
import secrets
import subprocess
import sys

from django.conf import settings


def test_production_hashes_passwords_with_argon2():
    code = (
        "import django; django.setup();"
        "from django.contrib.auth.hashers import make_password;"
        "print(make_password('correct horse battery staple'))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "movieratings.settings",
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": "sqlite:///:memory:",
    }
    env.pop("DJANGO_DEBUG", None)
    output = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert output.startswith("argon2$argon2id$")
