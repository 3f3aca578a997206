#!/usr/bin/env bash
# A hot standby of this machine's PostgreSQL cluster for the replica benchmark
# (bench/screenpop-bench.ts --replica): streaming replication from
# 127.0.0.1:5432 into DIR, started on PORT. Debian's layout (configuration in
# /etc/postgresql), trust authentication on 127.0.0.1, run as root.
#
#   bash bench/make-standby.sh [DIR] [PORT]     # default /var/tmp/sb-standby 5433
#   runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D DIR stop   # when done
set -euo pipefail
DIR=${1:-/var/tmp/sb-standby}
PORT=${2:-5433}
BIN=/usr/lib/postgresql/15/bin
HBA=/etc/postgresql/15/main/pg_hba.conf
grep -q '^host replication all 127.0.0.1/32 trust' "$HBA" || {
  echo 'host replication all 127.0.0.1/32 trust' >> "$HBA"
  psql -h 127.0.0.1 -U postgres -qc 'SELECT pg_reload_conf()' > /dev/null
}
rm -rf "$DIR"
mkdir -p "$DIR" && chown postgres:postgres "$DIR" && chmod 700 "$DIR"
runuser -u postgres -- "$BIN/pg_basebackup" -h 127.0.0.1 -U postgres -D "$DIR" -R -X stream -c fast
# Debian keeps the configuration outside the data directory: the standby gets a small one of its own.
cat > "$DIR/postgresql.conf" <<CONF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '/tmp'
hot_standby = on
shared_buffers = 1GB
max_connections = 200
CONF
cat > "$DIR/pg_hba.conf" <<CONF
local all all trust
host all all 127.0.0.1/32 trust
CONF
runuser -u postgres -- "$BIN/pg_ctl" -D "$DIR" -l "$DIR/log" -w start
echo "standby on 127.0.0.1:$PORT (data in $DIR)"
