#!/bin/sh
# The container's command: web, worker [celery worker options], beat, migrate, or any command.
set -e
case "${1:-web}" in
  web) shift || true; exec gunicorn -c deploy/gunicorn.conf.py "$@" ;;
  worker) shift; exec celery -A config worker --without-mingle --loglevel "${LOG_LEVEL:-INFO}" "$@" ;;
  beat) shift; exec celery -A config beat --loglevel "${LOG_LEVEL:-INFO}" "$@" ;;
  migrate) python manage.py migrate --noinput; exec python manage.py createcachetable ;;
  *) exec "$@" ;;
esac
