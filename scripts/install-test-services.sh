#!/usr/bin/env bash
# Installs the servers the source/sink tests start on 127.0.0.1:
#   openssh-server  sshd with its SFTP subsystem   test/support/sftp.ts
#   vsftpd          FTP and FTPS                   test/support/ftp.ts
#   postgresql      PostgreSQL (initdb, postgres)  test/support/postgres.ts
#   mariadb-server  MariaDB (mariadbd)             test/support/mariadb.ts
#   openssl         certificates for FTPS and PostgreSQL TLS
# Idempotent: installs only what is missing. Needs root (apt-get); the packages' own
# services are not started (the tests start their own in temp directories).
set -euo pipefail
# shellcheck source=lib/apt-install.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt-install.sh"

need=()
have() { [ -x "$1" ] || command -v "$1" >/dev/null 2>&1; }
have /usr/sbin/sshd || need+=(openssh-server)
have /usr/sbin/vsftpd || need+=(vsftpd)
have /usr/sbin/mariadbd || need+=(mariadb-server)
have openssl || need+=(openssl)
# PostgreSQL: Debian's layout (/usr/lib/postgresql/N/bin) or initdb on PATH.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! have initdb; then need+=(postgresql); fi

if [ ${#need[@]} -eq 0 ]; then
  echo "test services already installed"
  exit 0
fi
echo "installing: ${need[*]}"
# The packages' own services stay stopped (the tests start their own in temp directories).
apt_install_quiet "${need[@]}"
