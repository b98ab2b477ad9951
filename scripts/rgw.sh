#!/usr/bin/env bash
# A one-node Ceph RGW (S3) on 127.0.0.1 for T4's tests and local development.
#
#   scripts/rgw.sh up   DIR RGW_PORT MON_PORT [memstore|bluestore]
#   scripts/rgw.sh down DIR
#
# "up" starts a monitor, one OSD and radosgw, all bound to 127.0.0.1, with cephx off and 1x
# replication, waits until S3 answers on RGW_PORT and prints one line:
#   RGW up on http://127.0.0.1:RGW_PORT
# S3 credentials: access key "test", secret "testsecret"; region us-east-1; path-style URLs.
#
# Stores:
# - memstore (default): objects live in the OSD's RAM (capped at 2 GiB); every "up" starts empty.
# - bluestore: a sparse 10 GiB file in DIR; data survives "down"/"up" with the same ports.
#
# The PIDs of the daemons are written to DIR/pids; "down" stops exactly those PIDs (TERM, then
# KILL after 10 s) and only if each one still runs with DIR's ceph.conf. If anything does not come
# up within T4_RGW_TIMEOUT seconds (default 60), "up" prints why, stops what it started and exits 1.
#
# Needs the Debian packages ceph-mon, ceph-osd, radosgw and uuid-runtime. Works as root or not.
set -Eeuo pipefail

usage() {
  echo "usage: $0 up DIR RGW_PORT MON_PORT [memstore|bluestore] | $0 down DIR" >&2
  exit 2
}

cmd=${1:-}
[ "$cmd" = up ] || [ "$cmd" = down ] || usage
[ -n "${2:-}" ] || usage
mkdir -p "$2"
D=$(cd "$2" && pwd)
CONF="$D/ceph.conf"
export CEPH_CONF="$CONF"

# is_ours PID: the process still runs with this directory's ceph.conf on its command line.
is_ours() {
  [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "$CONF"
}

down() {
  [ -f "$D/pids" ] || return 0
  local pids=() p
  for p in $(tac "$D/pids"); do
    if is_ours "$p"; then pids+=("$p"); fi
  done
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  local end=$((SECONDS + 10))
  for p in "${pids[@]}"; do
    while is_ours "$p" && [ $SECONDS -lt $end ]; do sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  rm -f "$D/pids"
}

if [ "$cmd" = down ]; then
  down
  exit 0
fi

PORT=${3:-}
MONPORT=${4:-}
STORE=${5:-memstore}
[[ "$PORT" =~ ^[0-9]+$ && "$MONPORT" =~ ^[0-9]+$ ]] || usage
[ "$STORE" = memstore ] || [ "$STORE" = bluestore ] || usage
DEADLINE=$((SECONDS + ${T4_RGW_TIMEOUT:-60}))

# die MESSAGE: refuse to start (nothing was started, and nothing is stopped).
die() {
  echo "scripts/rgw.sh: $1" >&2
  exit 1
}

# fail MESSAGE [LOG]: say why (with the tail of LOG), stop what was started, exit 1.
fail() {
  trap - ERR INT TERM
  echo "scripts/rgw.sh: $1 (logs in $D/log)" >&2
  if [ -n "${2:-}" ] && [ -s "$2" ]; then tail -n 5 "$2" | sed 's/^/  | /' >&2; fi
  down
  exit 1
}
trap 'fail "command failed at line $LINENO: $BASH_COMMAND"' ERR
trap 'fail "interrupted"' INT TERM

# run LOG CMD...: run CMD within the time left, output to LOG.
run() {
  local log=$1 left=$((DEADLINE - SECONDS))
  shift
  [ $left -gt 0 ] || fail "timed out before $1"
  timeout "$left" "$@" >"$log" 2>&1 || fail "$1 failed or timed out" "$log"
}

# wait_for PID WHAT LOG CMD...: poll CMD until it succeeds; fail fast if PID exits.
wait_for() {
  local pid=$1 what=$2 log=$3
  shift 3
  until "$@" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || fail "$what exited during startup" "$log"
    [ $SECONDS -lt $DEADLINE ] || fail "timed out waiting for $what" "$log"
    sleep 0.3
  done
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
mon_up() { timeout 5 ceph mon stat; }
osd_up() { timeout 5 ceph osd stat | grep -q '1 up'; }
rgw_up() { listening "$PORT"; }

for tool in ceph ceph-mon ceph-osd radosgw radosgw-admin ceph-authtool monmaptool uuidgen; do
  command -v "$tool" >/dev/null ||
    die "$tool not found; install it with: apt-get install ceph-mon ceph-osd radosgw uuid-runtime"
done
[ ! -f "$D/pids" ] || die "$D/pids exists: an RGW may already run there (run: $0 down $D)"
for port in "$PORT" "$MONPORT"; do
  if listening "$port"; then die "port $port on 127.0.0.1 is already in use"; fi
done

fresh=0
if [ "$STORE" = memstore ] || [ ! -f "$CONF" ]; then
  fresh=1
  # Remove only what this script creates: DIR may be a directory the caller owns.
  rm -rf "$D"/{mon,osd,run,log,rgw,ceph.conf,keyring,monmap,ports}
  mkdir -p "$D"/{mon/ceph-a,osd/ceph-0,run,log,rgw}
elif [ "$(cat "$D/ports" 2>/dev/null)" != "$PORT $MONPORT" ]; then
  die "$D was created with ports $(cat "$D/ports" 2>/dev/null || echo "?"); use those"
fi
echo "$PORT $MONPORT" >"$D/ports"

if [ $fresh = 1 ]; then
  FSID=$(uuidgen)
  if [ "$STORE" = bluestore ]; then
    STORECONF="osd objectstore = bluestore
bluestore block create = true
bluestore block size = 10737418240
bluestore block db create = false
bluestore block wal create = false"
  else
    STORECONF="osd objectstore = memstore
memstore device bytes = 2147483648"
  fi
  # With cephx off, the messenger must use crc mode: radosgw's default "secure" client mode
  # cannot authenticate (get_initial_auth_request returned -13).
  cat >"$CONF" <<EOF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MONPORT
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
ms mon cluster mode = crc
ms mon service mode = crc
ms client mode = crc
ms cluster mode = crc
ms service mode = crc
ms bind ipv6 = false
auth allow insecure global id reclaim = true
mon warn on insecure global id reclaim allowed = false
run dir = $D/run
admin socket = $D/run/\$cluster-\$name.asok
log file = $D/log/\$cluster-\$name.log
pid file = $D/run/\$cluster-\$name.pid
keyring = $D/keyring
mon data = $D/mon/\$cluster-\$id
osd data = $D/osd/\$cluster-\$id
$STORECONF
osd memory target = 939524096
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
osd crush chooseleaf type = 0
[client.rgw.test]
# tcp_nodelay: without it every error response (404, 412) takes ~44 ms (Nagle + delayed ACK).
rgw frontends = beast endpoint=127.0.0.1:$PORT tcp_nodelay=1
rgw data = $D/rgw
EOF
  run "$D/log/keyring.out" ceph-authtool --create-keyring "$D/keyring" --gen-key -n mon. \
    --cap mon 'allow *'
  run "$D/log/monmap.out" monmaptool --create --fsid "$FSID" --addv a \
    "[v2:127.0.0.1:$MONPORT]" "$D/monmap"
  run "$D/log/mon-mkfs.out" ceph-mon -c "$CONF" --mkfs -i a --monmap "$D/monmap" \
    --keyring "$D/keyring"
fi

ceph-mon -c "$CONF" -f -i a >"$D/log/mon.out" 2>&1 &
echo $! >"$D/pids"
wait_for $! "ceph-mon" "$D/log/ceph-mon.a.log" mon_up

if [ $fresh = 1 ]; then
  OSDUUID=$(uuidgen)
  run "$D/log/osd-new.out" ceph osd new "$OSDUUID"
  run "$D/log/osd-mkfs.out" ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$OSDUUID"
fi
ceph-osd -c "$CONF" -f -i 0 >"$D/log/osd.out" 2>&1 &
echo $! >>"$D/pids"
wait_for $! "ceph-osd" "$D/log/ceph-osd.0.log" osd_up

if [ $fresh = 1 ]; then
  # Creating the user also creates RGW's pools; this is most of the start time (~9 s).
  run "$D/log/user.out" radosgw-admin -c "$CONF" user create --uid=test --display-name=test \
    --access-key=test --secret=testsecret
fi
radosgw -c "$CONF" -f -n client.rgw.test >"$D/log/rgw.out" 2>&1 &
echo $! >>"$D/pids"
wait_for $! "radosgw" "$D/log/ceph-client.rgw.test.log" rgw_up

trap - ERR INT TERM
echo "RGW up on http://127.0.0.1:$PORT"
