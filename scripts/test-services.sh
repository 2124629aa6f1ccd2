#!/usr/bin/env bash
# Installs and starts what the test suite needs when it is missing: Debian packages
# (Chromium, zbarimg, pdftoppm, fonts) and PostgreSQL and Redis servers on 127.0.0.1.
set -euo pipefail

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    $SUDO apt-get update -qq
    apt_updated=1
  fi
  echo "test-services: installing $*"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

bash "$(dirname "$0")/run-deps.sh"

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v zbarimg >/dev/null || missing+=(zbar-tools)
command -v pdftoppm >/dev/null || missing+=(poppler-utils)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
# pg_dump and pg_restore too (tests/ops/test_backup_restore.py): Debian's client is the server's major version.
{ command -v pg_isready && command -v pg_dump && command -v pg_restore; } >/dev/null || missing+=(postgresql-client)
command -v redis-cli >/dev/null || missing+=(redis-tools)
# nginx from Debian: tests/ops/test_production_config.py runs `nginx -t` on the sample, and
# python -m bench.cluster puts it in front of two web processes (it is not started here).
{ command -v nginx || [ -x /usr/sbin/nginx ]; } >/dev/null || missing+=(nginx)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

# PostgreSQL: use the one that answers, else install and start our own.
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || pg_ctlcluster "$version" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  # The tests connect as postgres/postgres over TCP; a fresh cluster wants a password.
  su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
fi
pg_isready -h 127.0.0.1 -p 5432

# Redis: use the one that answers, else install and start our own (no persistence).
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  command -v redis-server >/dev/null || apt_install redis-server
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp --logfile /tmp/nearbox-test-redis.log
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
echo "redis: $(redis-cli -h 127.0.0.1 -p 6379 ping)"

# S3-compatible object store for tests/ops/test_storage_s3.py (NEARBOX_STORAGE=s3): moto's server
# mode, which the test starts on a free port itself. MinIO would be the first choice, but no
# package on PyPI, Debian or npm ships its server binary (their helpers download it at run time).
# moto comes with the dev extra (pyproject.toml); installed here only when it is missing.
VENV_PY="$(dirname "$0")/../.venv/bin/python"
if [ -x "$VENV_PY" ] && ! "$VENV_PY" -c "import moto.server, flask" >/dev/null 2>&1; then
  echo "test-services: installing moto[server] (the tests' S3-compatible server)"
  "$VENV_PY" -m pip install --quiet "moto[server]>=5,<6"
fi
if [ -x "$VENV_PY" ]; then
  echo "s3 test server: moto $("$VENV_PY" -c 'import moto; print(moto.__version__)')"
fi
