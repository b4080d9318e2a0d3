#!/usr/bin/env bash
# Regenerate every examples/*/tree from its answers.yaml with the current
# build. tests/it/examples.rs fails when a tree is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
for dir in examples/*/; do
  [ -f "${dir}answers.yaml" ] || continue   # examples/ci holds CI files, not a layout
  rm -rf "${dir}tree"
  ./target/debug/flux-scaffold init --no-input --quiet --answers "${dir}answers.yaml" "${dir}tree" >/dev/null
  echo "updated ${dir}tree"
done
