//! The mapping identity → namespace → service account → workloads.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::objects::{self, Found, field, str_at};
use super::{
    Binding, Credential, Discovery, Identity, ResourceId, Unmapped, Workload, parse_resource_id,
    workload,
};
use crate::error::{Error, Result};
use crate::tree::DiskTree;

const GROUP: &str = "aadpodidentity.k8s.io/";

/// Discover what the repository at `root` declares for Pod Identity and map
/// it to Workload Identity. Bad input (not a folder, no stage): exit 2.
pub fn discover(root: &Path) -> Result<Discovery> {
    if !root.is_dir() {
        return Err(Error::input(format!("{} is not a folder", root.display())));
    }
    let tree = DiskTree::new(root);
    let stages = objects::stage_dirs(&tree)?;
    if stages.is_empty() {
        return Err(Error::input(format!(
            "{}: no stage found: no flux configuration (Bicep, az, Terraform) or Flux \
             Kustomization points at a folder here",
            root.display()
        )));
    }
    let (found, mut unmapped) = objects::collect(&tree, &stages)?;
    let identities: Vec<Identity> = found.iter().filter_map(identity).collect();
    let bindings: Vec<Binding> = found.iter().filter_map(binding).collect();
    let workloads: Vec<Workload> = found.iter().filter_map(workload::of).collect();
    let retire = super::retire::entries(&tree, &stages, &found)?
        .into_iter()
        .map(|(folder, entry)| super::Retired { folder, entry })
        .collect();
    let mut d = Discovery {
        stages,
        retire,
        ..Discovery::default()
    };
    let usable = usable_identities(&identities, &mut unmapped);
    let flux_changes = objects::flux_changes(&tree)?;
    let mut by_sa: BTreeMap<(String, String, String), Vec<Workload>> = BTreeMap::new();
    let mut folders = BTreeMap::new();
    for w in workloads {
        let placed = match changed_on_the_way(&tree, &w, &d.stages, &flux_changes)? {
            Some(why) => Err(why),
            None => patchable(&tree, &w, &mut folders)?,
        };
        match identity_of(&w, &bindings, &identities, &usable).and_then(|k| placed.map(|()| k)) {
            Ok(key) => {
                let ns = w.namespace.clone().unwrap_or_default();
                let sa = w.service_account.clone().unwrap_or_default();
                by_sa.entry((key, ns, sa)).or_default().push(w);
            }
            Err(reason) => unmapped.push(Unmapped {
                object: w.display(),
                file: w.file.clone(),
                reason,
            }),
        }
    }
    let by_sa = one_patch_file_each(by_sa, &mut unmapped);
    d.credentials = credentials(by_sa, &identities, &mut unmapped);
    d.credentials = declared_accounts(
        &tree,
        &found,
        std::mem::take(&mut d.credentials),
        &mut unmapped,
    )?;
    d.credentials = unique_names(std::mem::take(&mut d.credentials), &mut unmapped);
    for i in &identities {
        let key = format!("{}/{}", i.namespace, i.name);
        if usable.contains_key(&key) && !d.credentials.iter().any(|c| c.identity == key) {
            unmapped.push(Unmapped {
                object: format!("AzureIdentity {key}"),
                file: i.file.clone(),
                reason:
                    "no workload the stages apply is mapped to it, so no federated credential is \
                         made for it"
                        .into(),
            });
        }
    }
    unmapped.sort();
    unmapped.dedup();
    d.unmapped = unmapped;
    d.identities = identities;
    d.bindings = bindings;
    Ok(d)
}

/// Whether a patch in the kustomization of the workload's own folder
/// reaches it: that folder's build must apply it from its file.
fn patchable(
    tree: &DiskTree,
    w: &Workload,
    folders: &mut BTreeMap<String, crate::applied::Build>,
) -> Result<std::result::Result<(), String>> {
    if let Some(why) = super::answers::unfit(w) {
        return Ok(Err(why));
    }
    let dir = super::answers::folder(&w.file).to_string();
    if !folders.contains_key(&dir) {
        folders.insert(dir.clone(), crate::applied::build(tree, &dir)?);
    }
    let b = &folders[&dir];
    let here = !b.generated
        && b.builds()
        && b.objects
            .iter()
            .any(|o| o.file == w.file && o.kind == w.kind && o.name == w.name);
    Ok(if here {
        Ok(())
    } else {
        Err(format!(
            "the kustomization of its folder ({}) does not apply it, so a patch there would not reach it",
            if dir.is_empty() { "." } else { &dir }
        ))
    })
}

/// Workloads of one kind and name in one folder (in different namespaces)
/// would share a patch file name: reported, all of them.
fn one_patch_file_each(
    by_sa: BTreeMap<(String, String, String), Vec<Workload>>,
    unmapped: &mut Vec<Unmapped>,
) -> BTreeMap<(String, String, String), Vec<Workload>> {
    let key = |w: &Workload| {
        (
            super::answers::folder(&w.file).to_string(),
            w.kind.to_lowercase(),
            w.name.clone(),
        )
    };
    let mut count: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for w in by_sa.values().flatten() {
        *count.entry(key(w)).or_default() += 1;
    }
    let mut out = BTreeMap::new();
    for (k, workloads) in by_sa {
        let (ok, twins): (Vec<Workload>, Vec<Workload>) =
            workloads.into_iter().partition(|w| count[&key(w)] == 1);
        unmapped.extend(twins.iter().map(|w| Unmapped {
            object: w.display(),
            file: w.file.clone(),
            reason: format!(
                "another {} {} in its folder would take the same patch file; move one to a folder of its own",
                w.kind, w.name
            ),
        }));
        if !ok.is_empty() {
            out.insert(k, ok);
        }
    }
    out
}

/// Credentials whose ServiceAccount the repository already declares get
/// it patched where it is: reported instead when that folder's
/// kustomization does not apply it, or it names another client id.
fn declared_accounts(
    tree: &DiskTree,
    found: &[Found],
    credentials: Vec<Credential>,
    unmapped: &mut Vec<Unmapped>,
) -> Result<Vec<Credential>> {
    let mut out = Vec::new();
    for mut c in credentials {
        // The one a previous run wrote is the run's own, not the user's.
        let ours = format!(
            "wi-serviceaccount-{}-{}.yaml",
            c.service_account, c.namespace
        );
        let Some(sa) = found.iter().find(|f| {
            f.object.kind == "ServiceAccount"
                && f.object.file.rsplit('/').next() != Some(ours.as_str())
                && f.object.api_version == "v1"
                && f.object.name == c.service_account
                && f.object.namespace.as_deref() == Some(c.namespace.as_str())
        }) else {
            out.push(c);
            continue;
        };
        let file = sa.object.file.clone();
        let named = sa
            .body
            .get("metadata")
            .and_then(|m| m.get("annotations"))
            .and_then(|a| a.get(super::CLIENT_ID_ANNOTATION))
            .and_then(|v| v.as_str());
        let as_workload = Workload {
            kind: "ServiceAccount".into(),
            api_version: "v1".into(),
            name: c.service_account.clone(),
            namespace: Some(c.namespace.clone()),
            declared_namespace: sa.object.declared_namespace.clone(),
            file: file.clone(),
            selector: String::new(),
            service_account: None,
            values_path: Vec::new(),
            problem: None,
        };
        let why = match named {
            Some(other) if other != c.client_id => Some(format!(
                "it already names client id {other}, not {}'s {}",
                c.identity, c.client_id
            )),
            _ => patchable(tree, &as_workload, &mut BTreeMap::new())?.err(),
        };
        match why {
            Some(reason) => unmapped.extend(c.workloads.iter().map(|w| Unmapped {
                object: w.display(),
                file: w.file.clone(),
                reason: format!(
                    "its service account {}/{} is declared in {file} and cannot be annotated there: {reason}",
                    c.namespace, c.service_account
                ),
            })),
            None => {
                c.declared = Some(super::Declared {
                    file,
                    namespace: sa.object.declared_namespace.clone(),
                });
                out.push(c);
            }
        }
    }
    Ok(out)
}

fn is_kind(f: &Found, kind: &str) -> bool {
    f.object.kind == kind && f.object.api_version.starts_with(GROUP)
}

fn identity(f: &Found) -> Option<Identity> {
    if !is_kind(f, "AzureIdentity") {
        return None;
    }
    let text = |k: &str| {
        field(&f.body, &["spec", k])
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let behavior = f
        .body
        .get("metadata")
        .and_then(|m| field(m, &["annotations"]));
    Some(Identity {
        name: f.object.name.clone(),
        namespace: f.object.namespace.clone().unwrap_or_default(),
        file: f.object.file.clone(),
        id_type: field(&f.body, &["spec", "type"]).and_then(|v| v.as_i64()),
        client_id: text("clientID"),
        resource_id: text("resourceID"),
        namespaced: behavior
            .and_then(|a| str_at(a, &["aadpodidentity.k8s.io/Behavior"]))
            .is_some_and(|b| b == "namespaced"),
    })
}

fn binding(f: &Found) -> Option<Binding> {
    if !is_kind(f, "AzureIdentityBinding") {
        return None;
    }
    let text = |k: &str| {
        field(&f.body, &["spec", k])
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    Some(Binding {
        name: f.object.name.clone(),
        namespace: f.object.namespace.clone().unwrap_or_default(),
        file: f.object.file.clone(),
        identity: text("azureIdentity").unwrap_or_default(),
        selector: text("selector").unwrap_or_default(),
    })
}

/// The identities a federated credential can be made for, by
/// `namespace/name`; the others are reported.
fn usable_identities(
    identities: &[Identity],
    unmapped: &mut Vec<Unmapped>,
) -> BTreeMap<String, (String, ResourceId)> {
    let mut out = BTreeMap::new();
    for i in identities {
        let key = format!("{}/{}", i.namespace, i.name);
        let resource = i.resource_id.as_deref().and_then(parse_resource_id);
        let reason = match (i.id_type, &i.client_id, resource) {
            (Some(0), Some(c), Some(r)) if !c.is_empty() => {
                out.insert(key, (c.clone(), r));
                continue;
            }
            (Some(0), Some(c), Some(_)) if c.is_empty() => "its clientID is empty".to_string(),
            (Some(0), None, _) => "it has no clientID".to_string(),
            (Some(0), _, None) => format!(
                "its resourceID ({}) is not a user-assigned identity's \
                 /subscriptions/…/resourceGroups/…/providers/Microsoft.ManagedIdentity/userAssignedIdentities/… id",
                i.resource_id.as_deref().unwrap_or("none")
            ),
            (Some(t), _, _) => format!(
                "its type is {t}, not 0 (a user-assigned identity): only user-assigned \
                 identities take federated credentials"
            ),
            (None, _, _) => "it has no spec.type (0 is a user-assigned identity)".to_string(),
        };
        unmapped.push(Unmapped {
            object: format!("AzureIdentity {key}"),
            file: i.file.clone(),
            reason,
        });
    }
    out
}

/// The identity (`namespace/name`) a workload's pods get, or why none can be
/// named for sure.
fn identity_of(
    w: &Workload,
    bindings: &[Binding],
    identities: &[Identity],
    usable: &BTreeMap<String, (String, ResourceId)>,
) -> std::result::Result<String, String> {
    let Some(ns) = &w.namespace else {
        return Err("the namespace it is applied in is not known offline".into());
    };
    let matching: Vec<&Binding> = bindings
        .iter()
        .filter(|b| b.selector == w.selector)
        .collect();
    if matching.is_empty() {
        return Err(format!(
            "no AzureIdentityBinding has selector '{}'",
            w.selector
        ));
    }
    let mut keys = BTreeSet::new();
    for b in &matching {
        let found = identities
            .iter()
            .find(|i| i.namespace == b.namespace && i.name == b.identity);
        match found {
            Some(i) if i.namespaced && (i.namespace != *ns || b.namespace != *ns) => {}
            Some(i) => {
                keys.insert(format!("{}/{}", i.namespace, i.name));
            }
            None => {}
        }
    }
    let list = keys.iter().cloned().collect::<Vec<_>>().join(", ");
    match keys.len() {
        0 => Err(format!(
            "the bindings with selector '{}' name no AzureIdentity that applies to namespace {ns}",
            w.selector
        )),
        1 => {
            let key = keys.pop_first().unwrap_or_default();
            if !usable.contains_key(&key) {
                return Err(format!(
                    "its identity {key} cannot be migrated (see it above)"
                ));
            }
            match &w.problem {
                Some(p) => Err(p.clone()),
                None => Ok(key),
            }
        }
        _ => Err(format!(
            "selector '{}' is bound to {} identities ({list}): Pod Identity may hand the pods \
             any of them, a service account names one",
            w.selector,
            keys.len()
        )),
    }
}

/// One credential per (identity, namespace, service account); a service
/// account two identities would need is reported instead.
fn credentials(
    by_sa: BTreeMap<(String, String, String), Vec<Workload>>,
    identities: &[Identity],
    unmapped: &mut Vec<Unmapped>,
) -> Vec<Credential> {
    let mut per_sa: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    for (id, ns, sa) in by_sa.keys() {
        per_sa.entry((ns, sa)).or_default().insert(id);
    }
    let mut out = Vec::new();
    for ((id, ns, sa), mut workloads) in by_sa.clone() {
        let ids = &per_sa[&(ns.as_str(), sa.as_str())];
        if ids.len() > 1 {
            let list = ids.iter().copied().collect::<Vec<_>>().join(", ");
            for w in &workloads {
                unmapped.push(Unmapped {
                    object: w.display(),
                    file: w.file.clone(),
                    reason: format!(
                        "its service account {ns}/{sa} is used with {} identities ({list}); a \
                         service account names one client id",
                        ids.len()
                    ),
                });
            }
            continue;
        }
        let Some(i) = identities
            .iter()
            .find(|i| format!("{}/{}", i.namespace, i.name) == id)
        else {
            continue;
        };
        let (Some(client_id), Some(resource_id)) = (
            i.client_id.clone(),
            i.resource_id.as_deref().and_then(parse_resource_id),
        ) else {
            continue;
        };
        workloads.sort();
        out.push(Credential {
            identity: id,
            client_id,
            resource_id,
            namespace: ns,
            service_account: sa,
            workloads,
            declared: None,
        });
    }
    out
}

/// A credential is named `<cluster>-<namespace>-<service account>` (dots as
/// dashes): two of one identity whose names would be equal (`orders` and
/// `x-api`, `orders-x` and `api`) would overwrite each other, so both are
/// reported, with their workloads, instead of written.
fn unique_names(credentials: Vec<Credential>, unmapped: &mut Vec<Unmapped>) -> Vec<Credential> {
    let name = |c: &Credential| format!("{}-{}", c.namespace, c.service_account).replace('.', "-");
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    for c in &credentials {
        *seen.entry((c.identity.clone(), name(c))).or_default() += 1;
    }
    let mut kept = Vec::new();
    for c in credentials {
        if seen[&(c.identity.clone(), name(&c))] < 2 {
            kept.push(c);
            continue;
        }
        for w in &c.workloads {
            unmapped.push(Unmapped {
                object: w.display(),
                file: w.file.clone(),
                reason: format!(
                    "its federated credential (<cluster>-{}) would have the name of another of identity {} (namespace and service account joined by '-'): rename one service account",
                    name(&c),
                    c.identity
                ),
            });
        }
    }
    kept
}

/// Why what runs may differ from the workload as written, if it may: a
/// Flux Kustomization of its stage moves or patches it, or a kustomization
/// from its stage down to its folder patches or transforms it (patches
/// other than this migration's own, components, replacements,
/// transformers). Discovery reads the manifests as written, so such a
/// workload is reported, not mapped.
fn changed_on_the_way(
    tree: &DiskTree,
    w: &Workload,
    stages: &[String],
    flux_changes: &BTreeMap<String, String>,
) -> Result<Option<String>> {
    let folder = super::answers::folder(&w.file);
    let under =
        |dir: &str| dir.is_empty() || folder == dir || folder.starts_with(&format!("{dir}/"));
    let Some(stage) = stages.iter().filter(|s| under(s)).max_by_key(|s| s.len()) else {
        return Ok(None);
    };
    if let Some(why) = flux_changes.get(stage) {
        return Ok(Some(why.clone()));
    }
    let mut dir = stage.clone();
    let rest: Vec<&str> = folder
        .strip_prefix(stage.as_str())
        .unwrap_or("")
        .split('/')
        .filter(|p| !p.is_empty())
        .collect();
    for i in 0..=rest.len() {
        if i > 0 {
            dir = crate::applied::join(&dir, rest[i - 1]);
        }
        if let Some(why) = transforms(tree, &dir)? {
            return Ok(Some(why));
        }
    }
    Ok(None)
}

/// What the kustomization of `dir` does beyond listing resources that
/// could change a workload, if anything.
fn transforms(tree: &DiskTree, dir: &str) -> Result<Option<String>> {
    let Ok(Some(file)) = crate::applied::kustomization_file(tree, dir)? else {
        return Ok(None);
    };
    let Some(data) = crate::tree::Tree::read(tree, &file)?
        .and_then(|b| crate::kustomize::read_kustomization(&b).ok())
    else {
        return Ok(None);
    };
    let ours = |p: &str| {
        let name = p.rsplit('/').next().unwrap_or(p);
        name.starts_with("wi-patch-") || name.starts_with("wi-serviceaccount-")
    };
    let foreign_patches = match data.get("patches") {
        Some(serde_yaml::Value::Sequence(items)) => items.iter().any(|i| {
            i.get("path")
                .and_then(|p| p.as_str())
                .is_none_or(|p| !ours(p))
        }),
        _ => false,
    };
    let field = [
        "patchesStrategicMerge",
        "patchesJson6902",
        "components",
        "replacements",
        "transformers",
    ]
    .into_iter()
    .find(|f| data.get(*f).is_some_and(|v| !v.is_null()));
    Ok(match (foreign_patches, field) {
        (true, _) => Some(format!(
            "{file} has patches that may change it; map it by hand"
        )),
        (false, Some(f)) => Some(format!("{file} has {f} that may change it; map it by hand")),
        (false, None) => None,
    })
}
