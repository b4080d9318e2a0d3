//! The infrastructure code: Bicep against tree-sitter-bicep and the ARM
//! schemas, Terraform through hcl-rs, az scripts through a shell's word
//! splitting and the CLI's parsing rules, Flux objects through kubectl.

mod az_scripts;
mod bicep_files;
mod flux_objects;
mod terraform_files;

use crate::common::az;
use crate::common::bicep;
use crate::common::shell;

use std::path::Path;

use crate::common::*;
use serde_json::Value;

const VERSIONS: [&str; 9] = [
    "2025-04-01",
    "2024-11-01",
    "2023-05-01",
    "2022-11-01",
    "2022-07-01",
    "2022-03-01",
    "2024-04-01-preview",
    "2022-01-01-preview",
    "2021-11-01-preview",
];

fn stages(addon: bool) -> Vec<&'static str> {
    if addon {
        vec!["infra", "apps"]
    } else {
        vec!["prereqs", "infra", "apps"]
    }
}

fn flux_config(root: &Path) -> (String, Value) {
    let src = read(root, "iac/flux-configuration.bicep");
    let tree = bicep::parse(&src);
    bicep::assert_no_errors(&tree, &src, "flux-configuration.bicep");
    let res = bicep::resources(&tree, &src);
    let (_, ty, body) = res
        .into_iter()
        .find(|(_, t, _)| t.starts_with("Microsoft.KubernetesConfiguration/fluxConfigurations@"))
        .expect("a fluxConfigurations resource");
    (ty, body)
}

fn pod_identity(addon: bool) -> &'static str {
    if addon {
        "pod_identity=aks-addon"
    } else {
        "pod_identity=helm"
    }
}

fn env_sets(n: usize) -> String {
    format!(
        "environments={}",
        ["staging", "production", "dev"][..n].join(",")
    )
}
