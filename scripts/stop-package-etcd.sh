#!/usr/bin/env bash
# Stops the etcd that Debian's etcd-server package started when it was installed, and no
# other process: a developer's own etcd (a kind cluster's, say) runs under the same name,
# often from the same binary, so neither the name (pkill -x etcd) nor the binary (the
# package's own init script also stops every process running /usr/bin/etcd) tells them
# apart. Only the service's record does: its systemd unit, or the pid file its init script
# wrote (and only while that pid still runs the package's binary, as pids are reused).
#
#   scripts/stop-package-etcd.sh                    # the package's service
#   scripts/stop-package-etcd.sh PIDFILE DAEMON     # a pid file and binary of your choosing (the tests')
set -euo pipefail

if [[ $# -eq 0 && -d /run/systemd/system ]]; then
  # systemd stops the processes of the etcd unit, nothing outside it.
  systemctl stop etcd.service 2>/dev/null || true
  exit 0
fi
PIDFILE="${1:-/run/etcd.pid}"
DAEMON="${2:-/usr/bin/etcd}"
[[ -s "$PIDFILE" && -e "$DAEMON" ]] || exit 0
# TERM, wait up to 30 s, then KILL: returns once the process is gone (2 if it outlived that).
start-stop-daemon --stop --quiet --oknodo --pidfile "$PIDFILE" --exec "$DAEMON" --retry TERM/30/KILL/5
rm -f "$PIDFILE" 2>/dev/null || true
