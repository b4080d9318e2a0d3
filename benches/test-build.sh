#!/usr/bin/env bash
# Cold and warm `cargo test --no-run` for a commit, in a fresh clone with its
# own target/ (BENCHMARKS.md, "Test build"). Usage: benches/test-build.sh COMMIT
set -euo pipefail
commit=${1:?usage: benches/test-build.sh COMMIT}
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
git clone -q "$repo" "$dir/src"
cd "$dir/src"
git checkout -q "$commit"
echo "load: $(cat /proc/loadavg)"
/usr/bin/time -f "cold: wall %e s, user %U s, sys %S s" cargo test --locked --no-run 2>&1 | grep -E '^cold'
echo '#[doc(hidden)] pub fn warm_build_probe() {}' >> src/lib.rs
/usr/bin/time -f "warm: wall %e s, user %U s, sys %S s" cargo test --locked --no-run 2>&1 | grep -E '^warm'
git checkout -q src/lib.rs
echo "tests listed: $(cargo test --locked -- --list 2>/dev/null | grep -c ': test$')"
