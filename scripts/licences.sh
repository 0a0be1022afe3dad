#!/usr/bin/env bash
# Lists every NuGet package PSM builds with (direct and transitive) and its licence, from the packages' own
# .nuspec files, and fails when one is not in the allowed list (licences compatible with PSM's Apache-2.0).
#   scripts/licences.sh            check only
#   scripts/licences.sh --write    also rewrite docs/licences.md
set -euo pipefail
cd "$(dirname "$0")/.."
allowed=" MIT Apache-2.0 BSD-2-Clause BSD-3-Clause PostgreSQL "
# Test-only packages that PSM never ships may also be under MPL-2.0 (file-level copyleft: used unchanged, it asks nothing
# of PSM's own code): axe-core's rules, which the browser tests run in the page.
test_only=" Deque.AxeCore.Commons "
# Packages whose .nuspec names only a (deprecated) licence URL: their licence as their repository states it.
declare -A known=( [J2N]=Apache-2.0 [Lucene.Net]=Apache-2.0 [Lucene.Net.Analysis.Common]=Apache-2.0 [xunit.abstractions]=Apache-2.0 )
cache="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
rows=()
bad=0
while read -r name version; do
  lower=$(echo "$name" | tr '[:upper:]' '[:lower:]')
  spec=$(ls "$cache/$lower/$version/"*.nuspec 2>/dev/null | head -1 || true)
  licence=$(grep -o '<license type="expression">[^<]*' "$spec" 2>/dev/null | sed 's/.*>//' || true)
  [[ -z "$licence" ]] && licence="${known[$name]:-unknown}"
  if [[ "$allowed" != *" $licence "* ]] && ! [[ "$licence" == "MPL-2.0" && "$test_only" == *" $name "* ]]; then
    echo "licences: $name $version has licence '$licence', not in the allowed list" >&2
    bad=1
  fi
  rows+=("| $name | $version | $licence |")
done < <(dotnet list Psm.slnx package --include-transitive 2>/dev/null | awk '$1 == ">" {print $2, $NF}' | sort -u)
if [[ ${#rows[@]} -eq 0 ]]; then
  echo "licences: no package listed (restore first)" >&2
  exit 1
fi
if [[ "${1:-}" == "--write" ]]; then
  {
    echo "# Licences"
    echo
    echo "PSM is licensed under the Apache License 2.0 (\`LICENSE\`). Every package it builds with is listed below with its"
    echo "licence, read from the package itself by \`scripts/licences.sh\` (which \`./test.sh\` runs: it fails on a licence outside"
    echo "MIT, Apache-2.0, BSD-2-Clause, BSD-3-Clause and the PostgreSQL licence, all compatible with Apache-2.0). Test-only packages"
    echo "(xunit, Playwright, axe-core's bindings, the test SDK) are not shipped; of them, Deque.AxeCore.Commons (axe-core's rules, which"
    echo "the browser tests run in the page) is under MPL-2.0, file-level copyleft that asks nothing of code using it unchanged."
    echo
    echo "Outside NuGet, only the tests use other software, as separate programs that PSM does not ship: oidc-provider (MIT, npm),"
    echo "@stoplight/spectral-cli (Apache-2.0, npm), and from Debian PostgreSQL (PostgreSQL licence), Postfix (IPL-1.0 / EPL-2.0),"
    echo "Dovecot (MIT / LGPL-2.1), Chromium (BSD-3-Clause and others) and nginx (BSD-2-Clause)."
    echo
    echo "| package | version | licence |"
    echo "|---|---|---|"
    printf '%s\n' "${rows[@]}"
  } > docs/licences.md
fi
if [[ $bad -eq 0 ]]; then
  echo "licences: ${#rows[@]} packages, all under allowed licences" >&2
fi
exit $bad
