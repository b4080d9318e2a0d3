#!/usr/bin/env bash
# doctor over the N-layout monorepo, with `kubectl kustomize` over the same
# kustomization folders as the yardstick (folders that list a remote URL are
# left out: kubectl would fetch it):
#   bash benches/doctor.sh [N] [BINARY]
set -euo pipefail
n=${1:-1000}; bin=${2:-target/release/flux-scaffold}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
bash "$(dirname "$0")/make-monorepo.sh" "$n" "$dir/mono" "$bin"
echo "files: $(find "$dir/mono" -type f | wc -l)"
for i in 1 2 3 4 5; do
  /usr/bin/time -f "doctor: %e s, peak RSS %M KB" "$bin" doctor "$dir/mono" >/dev/null
done
find "$dir/mono" -name kustomization.yaml -not -path '*/.flux-scaffold/*' \
  -exec grep -L '://' {} + | xargs -n1 dirname >"$dir/folders"
echo "kustomization folders (local): $(wc -l <"$dir/folders")"
start=$(date +%s.%N)
while read -r d; do kubectl kustomize "$d" >/dev/null; done <"$dir/folders"
echo "kubectl kustomize, one folder after another: $(echo "$(date +%s.%N) - $start" | bc) s"
