#!/usr/bin/env bash
# Installs the Debian packages that tests and optional steps need, when missing.
# Idempotent: does nothing when every command is present. Run as root (these machines are),
# or with sudo. `make test` calls it; CI therefore installs what the tests need and never skips them.
#   command      package(s)
set -euo pipefail
declare -A NEED=(
  [chromium]="chromium"
  [chromedriver]="chromium-driver"
  [pdftoppm]="poppler-utils"
  [pdftotext]="poppler-utils"
  [Rscript]="r-base-core r-cran-metafor r-cran-clubsandwich r-cran-numderiv r-cran-gsl"
  [slurmctld]="slurm-wlm"
  [munged]="munge"
  [dot]="graphviz"
)
missing=()
for cmd in "${!NEED[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=(${NEED[$cmd]})
done
# R packages can be missing while Rscript is present (gsl: metafor's UCOR, tests/r/escalc_vtypes.R)
if command -v Rscript >/dev/null 2>&1; then
  Rscript -e 'quit(status = !all(c("metafor", "clubSandwich", "numDeriv", "gsl") %in% rownames(installed.packages())))' \
    >/dev/null 2>&1 || missing+=(r-cran-metafor r-cran-clubsandwich r-cran-numderiv r-cran-gsl)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
echo "Installing system packages: $pkgs"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
