//! The migration from AAD Pod Identity to Azure Workload Identity.
//!
//! Discovery reads what Flux applies from every stage of a repository (the
//! stages doctor finds in its infrastructure code, built by
//! [`crate::applied`]) and maps each `AzureIdentity` through its
//! `AzureIdentityBinding`s to the workloads whose pods carry the binding's
//! `aadpodidbinding` selector: identity → namespace → service account →
//! workloads. What it cannot map is reported with the reason, never
//! guessed. Pure: reads through a [`Tree`], never writes nor prints.

pub mod answers;
mod discover;
pub(crate) mod objects;
pub mod report;
mod retire;
pub mod rules;
pub(crate) mod workload;

use serde::Serialize;

pub use discover::discover;

/// The pod label AAD Pod Identity matches bindings with.
pub const POD_IDENTITY_LABEL: &str = "aadpodidbinding";
/// The pod label Workload Identity's webhook mutates pods by.
pub const USE_LABEL: &str = "azure.workload.identity/use";
/// The ServiceAccount annotation naming the identity's client id.
pub const CLIENT_ID_ANNOTATION: &str = "azure.workload.identity/client-id";
/// The pod annotation that injects the migration sidecar (old Azure SDKs).
pub const SIDECAR_ANNOTATION: &str = "azure.workload.identity/inject-proxy-sidecar";

/// An `AzureIdentity` as declared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    pub name: String,
    pub namespace: String,
    pub file: String,
    /// `spec.type`: 0 is a user-assigned identity.
    #[serde(rename = "type")]
    pub id_type: Option<i64>,
    pub client_id: Option<String>,
    pub resource_id: Option<String>,
    /// `aadpodidentity.k8s.io/Behavior: namespaced`: only pods of its own
    /// namespace get it.
    pub namespaced: bool,
}

/// The parts of a user-assigned identity's resource id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceId {
    pub subscription: String,
    pub resource_group: String,
    pub name: String,
}

/// An `AzureIdentityBinding` as declared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Binding {
    pub name: String,
    pub namespace: String,
    pub file: String,
    pub identity: String,
    pub selector: String,
}

/// A workload whose pods carry `aadpodidbinding`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Workload {
    pub kind: String,
    pub api_version: String,
    pub name: String,
    /// The namespace it is applied in (None: not known offline).
    pub namespace: Option<String>,
    /// The namespace its file declares (a patch must name the same).
    pub declared_namespace: Option<String>,
    pub file: String,
    pub selector: String,
    /// `serviceAccountName` of its pods (for a HelmRelease, the chart's
    /// `serviceAccount.name` with `serviceAccount.create: false`).
    pub service_account: Option<String>,
    /// Where the label sits in a HelmRelease's `spec.values`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values_path: Vec<String>,
    /// Why the workload cannot be mapped on its own (no service account…).
    #[serde(skip)]
    pub problem: Option<String>,
}

impl Workload {
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// One federated credential to declare: an identity trusted for one
/// service account of one namespace, and the workloads that run as it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Credential {
    /// The AzureIdentity, `namespace/name`.
    pub identity: String,
    pub client_id: String,
    pub resource_id: ResourceId,
    pub namespace: String,
    pub service_account: String,
    pub workloads: Vec<Workload>,
    /// The ServiceAccount as the repository already declares it: patched
    /// there, not written again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared: Option<Declared>,
}

/// Where a ServiceAccount is already declared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Declared {
    pub file: String,
    /// The namespace its file names (a patch must name the same).
    pub namespace: Option<String>,
}

impl Credential {
    /// `system:serviceaccount:<namespace>:<name>`, the token's subject.
    pub fn subject(&self) -> String {
        format!(
            "system:serviceaccount:{}:{}",
            self.namespace, self.service_account
        )
    }
}

/// Something discovery cannot map, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Unmapped {
    /// `Kind namespace/name`.
    pub object: String,
    pub file: String,
    pub reason: String,
}

/// Everything discovery found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Discovery {
    /// The stage folders read.
    pub stages: Vec<String>,
    pub identities: Vec<Identity>,
    pub bindings: Vec<Binding>,
    pub credentials: Vec<Credential>,
    pub unmapped: Vec<Unmapped>,
    /// What step 2 takes out of the user's kustomizations: entries that
    /// hold Pod Identity and nothing else.
    pub retire: Vec<Retired>,
}

/// A kustomization entry step 2 takes out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Retired {
    /// The folder of the kustomization.
    pub folder: String,
    pub entry: String,
}

/// The subscription, group and name of a user-assigned identity's ARM id;
/// None for anything else.
pub fn parse_resource_id(id: &str) -> Option<ResourceId> {
    let parts: Vec<&str> = id.trim().trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        [s, sub, g, group, p, ns, t, name]
            if s.eq_ignore_ascii_case("subscriptions")
                && g.eq_ignore_ascii_case("resourceGroups")
                && p.eq_ignore_ascii_case("providers")
                && ns.eq_ignore_ascii_case("Microsoft.ManagedIdentity")
                && t.eq_ignore_ascii_case("userAssignedIdentities")
                && !sub.is_empty()
                && sub.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
                && [group, name].iter().all(|x| {
                    !x.is_empty()
                        && x.chars()
                            .all(|c| c.is_alphanumeric() || "-_.()".contains(c))
                }) =>
        {
            Some(ResourceId {
                subscription: sub.to_string(),
                resource_group: group.to_string(),
                name: name.to_string(),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_resource_id;

    #[test]
    fn user_assigned_identity_ids_and_nothing_else() {
        let id = parse_resource_id(
            "/subscriptions/0a1b-2c/resourcegroups/rg.(x)_1/providers/microsoft.managedidentity/userassignedidentities/id-1",
        )
        .unwrap();
        assert_eq!(
            (
                id.subscription.as_str(),
                id.resource_group.as_str(),
                id.name.as_str()
            ),
            ("0a1b-2c", "rg.(x)_1", "id-1")
        );
        for bad in [
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id",
            "/subscriptions/01/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm",
            "/subscriptions/01/resourceGroups/rg|x/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id",
            "/subscriptions/01/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/a,b",
            "/subscriptions/01/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/",
            "/subscriptions/01/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id/extra",
        ] {
            assert!(parse_resource_id(bad).is_none(), "{bad}");
        }
    }
}
