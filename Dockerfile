# One image for every Nearbox process; the command picks which (deploy/docker-entrypoint.sh):
#   docker run --env-file nearbox.env IMAGE web                  # gunicorn, deploy/gunicorn.conf.py
#   docker run --env-file nearbox.env IMAGE worker -Q nearbox.labels --concurrency 2
#   docker run --env-file nearbox.env IMAGE beat                 # safe on every host (redbeat lock)
#   docker run --env-file nearbox.env IMAGE migrate              # once per deploy, before the rest
# Settings come from the environment (docs/production.md, "Running in production").
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint (labels, packing slips) needs Pango and its fonts; libpq comes with psycopg[binary].
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /home/nearbox nearbox

WORKDIR /app
COPY . .
RUN pip install . \
    && DEBUG=0 SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && mkdir -p /app/var && chown -R nearbox:nearbox /app/var

USER nearbox
EXPOSE 8000
# Liveness needs no database: a container that answers is up (readiness: /healthz/ready).
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
    CMD python -c "import urllib.request,os; urllib.request.urlopen('http://127.0.0.1:%s/healthz/live' % os.environ.get('PORT', '8000'), timeout=2)" || exit 1
ENTRYPOINT ["/app/deploy/docker-entrypoint.sh"]
CMD ["web"]
