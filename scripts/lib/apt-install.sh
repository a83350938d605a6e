# Sourced by the scripts/install-*.sh that install Debian packages (not run on its own).
#
#   apt_install_quiet PACKAGE...
#
# Installs the packages without starting their system services: a temporary
# /usr/sbin/policy-rc.d answers "not now" to every service start during the install (the
# tests and the sandbox start their own servers, with their own sockets, ports and state),
# and is removed again when the install is done. An apt lock held by another install step
# is waited for, bounded: up to ten tries 15 s apart, `apt-get update` after the first
# failure, and the last try shows apt's own error.
apt_install_quiet() {
  local made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    made_policy=1
    # Also gone if the install is interrupted.
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  local status=1 try
  for try in 1 2 3 4 5 6 7 8 9 10; do
    if [ "$try" = 10 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" && status=0
      break
    fi
    if DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1; then status=0; break; fi
    if [ "$try" = 1 ]; then apt-get update >/dev/null 2>&1 || true; fi
    sleep 15
  done
  if [ -n "$made_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
  return "$status"
}
