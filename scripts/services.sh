#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on 127.0.0.1; start them when installed but
# stopped; say what to install when they are absent.
set -euo pipefail

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

if ! redis_up; then
  if command -v redis-server >/dev/null; then
    echo "starting Redis"
    mkdir -p /tmp/redis-livechat
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" \
      --appendonly no --dir /tmp/redis-livechat --logfile /tmp/redis-livechat/redis.log
  elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Redis"; apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  else
    echo "Redis is not installed: install it (Debian: apt-get install redis-server)" >&2; exit 1
  fi
fi

if ! pg_up; then
  if ls /etc/postgresql >/dev/null 2>&1 && command -v pg_ctlcluster >/dev/null; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing PostgreSQL"; apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
    su postgres -c "psql -c \"ALTER USER postgres WITH PASSWORD NULL\"" >/dev/null || true
  else
    echo "PostgreSQL is not installed: install it (Debian: apt-get install postgresql)" >&2; exit 1
  fi
fi

for _ in $(seq 1 30); do pg_up && redis_up && exit 0; sleep 1; done
echo "PostgreSQL or Redis did not come up on 127.0.0.1" >&2; exit 1
