# syntax=docker/dockerfile:1
# Production image: gunicorn serving movieratings.wsgi on port 8000.
#   docker build -t movieratings .
#   docker run -p 8000:8000 -e DJANGO_SECRET_KEY=... -e DATABASE_URL=... movieratings
# docker-compose.yml runs it with PostgreSQL and Redis.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_ENV=production \
    PORT=8000

WORKDIR /app

# An unprivileged user owns nothing in /app: the code is read-only at run time.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin app

# Dependencies in their own layer, rebuilt only when requirements.txt changes.
# Every pinned package ships a manylinux wheel, so no compiler is needed.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .

# Production settings refuse to load without a real secret key; this one exists
# only for this build step and is not kept in the image's environment.
RUN DJANGO_SECRET_KEY="build-only-collectstatic-key-never-used-to-serve-requests-0123456789" \
    python manage.py collectstatic --no-input --verbosity 0

USER app

EXPOSE 8000

# No curl in the slim image: probe /healthz/ with the standard library, sending
# the first DJANGO_ALLOWED_HOSTS entry as Host so that Django accepts the probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; host = os.environ.get('DJANGO_ALLOWED_HOSTS', 'localhost').split(',')[0].strip().lstrip('.').replace('*', 'localhost') or 'localhost'; url = 'http://127.0.0.1:%s/healthz/' % os.environ.get('PORT', '8000'); u.build_opener(u.ProxyHandler({})).open(u.Request(url, headers={'Host': host}), timeout=4)"]

CMD ["gunicorn", "--config", "gunicorn.conf.py", "movieratings.wsgi"]
