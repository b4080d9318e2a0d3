#!/usr/bin/env bash
# Make a monorepo of N layouts under DIR for the fleet benchmark:
#   benches/make-monorepo.sh N DIR [BINARY]
# Ten distinct layouts (Helm and add-on, each IaC target) copied to N.
set -euo pipefail
n=$1; dir=$2; bin=${3:-target/release/flux-scaffold}
rm -rf "$dir"; mkdir -p "$dir/.seed"
variants=(
  "iac=bicep,az-cli"
  "iac=terraform crds=remote"
  "iac=flux environments=staging,production"
  "pod_identity=aks-addon iac=bicep,az-cli"
  "iac=bicep bicep_api_version=2022-01-01-preview"
  "iac=az-cli git_ref=tag:v1.0.0"
  "iac=bicep,az-cli,terraform,flux"
  "pod_identity=aks-addon iac=terraform"
  "iac=flux crds=remote"
  "iac=bicep environments=dev,staging,production"
)
for i in "${!variants[@]}"; do
  sets=(--set git_url=https://github.com/contoso/gitops --set "cluster_name=aks-$i" --set resource_group=rg-fleet)
  for kv in ${variants[$i]}; do sets+=(--set "$kv"); done
  "$bin" init --no-input --quiet "${sets[@]}" "$dir/.seed/$i" >/dev/null
done
for ((i = 0; i < n; i++)); do
  mkdir -p "$dir/clusters/team-$((i % 7))"
  cp -r "$dir/.seed/$((i % 10))" "$dir/clusters/team-$((i % 7))/layout-$i"
done
rm -rf "$dir/.seed"
