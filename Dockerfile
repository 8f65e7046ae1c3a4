# syntax=docker/dockerfile:1
# soudan (支援者支援相談): Django + Channels served by Daphne; static files by WhiteNoise.
#
# Two stages: the build stage has the tools (gettext) and produces everything that would
# otherwise be compiled at runtime (translations, collected static files, byte-code); the
# runtime stage only copies the results and runs as a non-root user.

# --- build -----------------------------------------------------------------------------------
FROM python:3.11-slim AS build

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# msgfmt for compilemessages; this stage is thrown away, so it never reaches the runtime image.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
WORKDIR /app

# Dependencies first, so the layer is reused while only the source changes.
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

COPY . .
# Local state that may sit in the build context (even without a .dockerignore) must not ship.
RUN rm -rf .git .venv venv .env .env.* db.sqlite3* staticfiles media \
        .pytest_cache .ruff_cache .mypy_cache \
    && find . -name '__pycache__' -prune -exec rm -rf {} +

# Translations (.po -> .mo), when the source has any.
RUN if find . -name '*.po' -print -quit | grep -q .; then \
        python manage.py compilemessages --ignore='.venv' --ignore='node_modules'; \
    fi

# Static files with the production storage (hashed, compressed names for WhiteNoise).
# The SECRET_KEY and hosts below exist for this RUN only: they are not ENV/ARG, so they are
# neither baked into the image config nor visible at runtime. No database is contacted.
RUN DJANGO_ENV=production \
    SECRET_KEY=build-only-collectstatic-key-never-used-at-runtime-0123456789abcdef \
    ALLOWED_HOSTS=localhost \
    CSRF_TRUSTED_ORIGINS=https://localhost \
    DATABASE_URL=postgres://build:build@localhost:5432/build \
    REDIS_URL=redis://localhost:6379/0 \
    TRUST_X_FORWARDED_FOR=1 \
    python manage.py collectstatic --noinput

# Byte-code for the project (pip already compiled the installed packages); hash-based so the
# files stay valid whatever timestamps the copy into the next stage leaves behind.
RUN python -m compileall -q --invalidation-mode checked-hash /app

# --- runtime ---------------------------------------------------------------------------------
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN groupadd --system --gid 10001 soudan \
    && useradd --system --uid 10001 --gid soudan --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin soudan

# Owned by root and read-only for the service user: the app never writes to its own tree.
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app

USER 10001:10001
EXPOSE 8000

# No curl in the slim image: ask /healthz with urllib. The Host header is the first
# ALLOWED_HOSTS entry (Django rejects 127.0.0.1 otherwise); a 503 or no answer fails the check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, sys, urllib.request as u; h = os.environ.get('ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; r = u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': h, 'X-Forwarded-Proto': 'https'}), timeout=4); sys.exit(0 if r.status == 200 else 1)"

# No access log here: nginx writes one without query strings (deploy/nginx.conf); daphne's own
# would log full URIs, and an admin search puts a name in the query string.
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "--proxy-headers", "--access-log", "/dev/null", "config.asgi:application"]
