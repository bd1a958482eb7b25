# PlanoCore: one image for every process (web, worker, beat, release).
#   docker build -t planocore .
#   docker run -e SECRET_KEY=... -e DATABASE_URL=... -p 8000:8000 planocore
# The command defaults to the web process; the worker and beat override it
# (docker-compose.yml, Procfile).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=planocore.settings \
    STATIC_MANIFEST=true \
    PORT=8000

WORKDIR /app

# psycopg[binary], cryptography and the rest ship wheels: no compiler needed.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .

# Collect the static files (the admin's) for WhiteNoise. SECRET_KEY is only
# needed to import the settings here; the real one comes from the environment.
RUN SECRET_KEY=collectstatic-only-not-a-secret python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --home-dir /app planocore \
    && chown -R planocore /app/staticfiles

USER planocore
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8000\")}/healthz', timeout=4)" || exit 1

CMD ["gunicorn", "planocore.wsgi", "--config", "gunicorn.conf.py"]
