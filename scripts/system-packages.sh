#!/usr/bin/env bash
# Installs the Debian packages the test suite needs and the machine lacks (idempotent):
#   slurm-wlm and munge  - the one-node SLURM cluster of tests/test_slurm.py
# Runs `apt-get update` once (only when something is missing), then installs. Called by `make test`.
set -euo pipefail
need=()
command -v slurmctld >/dev/null 2>&1 && command -v slurmd >/dev/null 2>&1 && command -v sbatch >/dev/null 2>&1 \
    || need+=(slurm-wlm)
command -v munged >/dev/null 2>&1 || need+=(munge)
if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
    command -v sudo >/dev/null 2>&1 || { echo "system-packages: missing ${need[*]}; run as root to install them" >&2; exit 1; }
else
    SUDO=
fi
echo "system-packages: installing ${need[*]}"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# the packages' own services are not needed (the tests start their own daemons); stop any that
# the installation started so that they hold no ports or sockets
for s in slurmctld slurmd munge; do
    command -v systemctl >/dev/null 2>&1 && $SUDO systemctl stop "$s" >/dev/null 2>&1 || true
done
