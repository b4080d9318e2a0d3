//! The rules: each reads the facts of one layout (and what Flux applies
//! from its stages) and returns findings. Rule ids are in [`super::report::RULES`].
//!
//! This file holds the layout's context (`Ctx`), [`check`], which runs
//! every group of rules in turn, and the helpers they share. Each group
//! lives in a file named after its job and adds its rules to `Ctx` as
//! methods that push findings; a new rule goes in the file of its group,
//! or in a new file called from `check`, with its entry in the rule table.

mod az;
mod bicep;
mod builds;
mod crds;
mod exceptions;

use std::collections::{BTreeMap, BTreeSet};

use super::report::Finding;
use super::scan::{Facts, Stage};
use super::text;
use crate::applied::{self, Build};
use crate::error::Result;
use crate::tree::Tree;

/// Labels the AKS Flux extension's pods carry (one value per version).
const EXTENSION_LABELS: [(&str, &str); 2] = [
    ("app.kubernetes.io/name", "flux-extension"),
    ("app.kubernetes.io/name", "microsoft.flux"),
];

/// Upstream Flux's controllers, for `app.kubernetes.io/component`.
const CONTROLLERS: [&str; 6] = [
    "source-controller",
    "kustomize-controller",
    "helm-controller",
    "notification-controller",
    "image-reflector-controller",
    "image-automation-controller",
];

const POD_IDENTITY_GROUP: &str = "aadpodidentity.k8s.io";

const POD_IDENTITY_KINDS: [&str; 4] = [
    "AzureAssignedIdentity",
    "AzureIdentity",
    "AzureIdentityBinding",
    "AzurePodIdentityException",
];

/// One layout's context shared by the rules.
struct Ctx<'a> {
    tree: &'a dyn Tree,
    layout: &'a str,
    facts: &'a Facts,
    flux_ns: BTreeSet<String>,
    /// Stages with their build (None: path computed or outside the layout).
    builds: Vec<(&'a Stage, Option<(String, Build)>)>,
    out: Vec<Finding>,
}

/// Every finding for the layout at `layout` (a folder from the root).
pub fn check(
    tree: &dyn Tree,
    layout: &str,
    facts: &Facts,
    extra: super::ExtraRules,
) -> Result<Vec<Finding>> {
    let mut flux_ns: BTreeSet<String> = facts.flux_namespaces.iter().cloned().collect();
    if flux_ns.is_empty() {
        flux_ns.insert("flux-system".into());
    }
    let mut cache: BTreeMap<String, Build> = BTreeMap::new();
    let mut builds = Vec::new();
    for stage in &facts.stages {
        let dir = stage.path.as_deref().and_then(|p| stage_dir(layout, p));
        let built = match dir {
            Some(dir) => {
                if !cache.contains_key(&dir) {
                    cache.insert(dir.clone(), applied::build(tree, &dir)?);
                }
                Some((dir.clone(), cache[&dir].clone()))
            }
            None => None,
        };
        builds.push((stage, built));
    }
    let mut ctx = Ctx {
        tree,
        layout,
        facts,
        flux_ns,
        builds,
        out: Vec::new(),
    };
    ctx.stages()?;
    ctx.exceptions();
    ctx.remote_crds();
    ctx.crds_in_stages();
    ctx.az();
    ctx.typos();
    ctx.bicep_versions();
    let mut seen = BTreeSet::new();
    let built: Vec<(String, Build)> = ctx
        .builds
        .iter()
        .filter_map(|(_, b)| b.clone())
        .filter(|(d, _)| seen.insert(d.clone()))
        .collect();
    ctx.out.extend(extra(tree, facts, &built)?);
    Ok(ctx.out)
}

/// A stage path as written, as a folder from the root; None when it
/// leaves the layout.
pub fn stage_dir(layout: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = layout.split('/').filter(|p| !p.is_empty()).collect();
    let base = parts.len();
    for p in path.trim().split('/') {
        match p {
            "" | "." => {}
            ".." => {
                if parts.len() == base {
                    return None;
                }
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

impl Ctx<'_> {
    /// The command that writes the missing exceptions: `init` adopts a
    /// repository it did not make and adds its exception file; `regen`
    /// puts a generated layout's exception entry back in its stage.
    fn fix_command(&self) -> String {
        let dir = if self.layout.is_empty() {
            "."
        } else {
            self.layout
        };
        let state = applied::join(self.layout, crate::state::DIR);
        let generated = self.tree.list(&state).is_ok_and(|l| !l.is_empty());
        let verb = if generated { "regen" } else { "init" };
        format!("flux-scaffold {verb} {dir}")
    }

    fn text_of(&self, file: &str) -> String {
        self.tree
            .read(file)
            .ok()
            .flatten()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    fn line_in(&self, file: &str, needle: &str) -> usize {
        text::line_of(&self.text_of(file), needle, 1)
    }

    fn upstream(&self) -> bool {
        self.facts.flux_objects && !self.facts.extension
    }

    /// Whether `labels` select a Flux pod of this layout's install.
    fn matches_flux(&self, labels: &[(String, String)]) -> bool {
        labels.iter().any(|(k, v)| {
            let ext = !self.upstream()
                && EXTENSION_LABELS
                    .iter()
                    .any(|(ek, ev)| k == ek && v.eq_ignore_ascii_case(ev));
            let up = !self.facts.extension
                && match k.as_str() {
                    "app.kubernetes.io/part-of" => v.eq_ignore_ascii_case("flux"),
                    "app.kubernetes.io/instance" => self.flux_ns.contains(&v.to_lowercase()),
                    "app.kubernetes.io/component" => {
                        CONTROLLERS.iter().any(|c| v.eq_ignore_ascii_case(c))
                    }
                    _ => false,
                };
            ext || up
        })
    }

    fn expected_labels(&self) -> String {
        let ext = "app.kubernetes.io/name: flux-extension and app.kubernetes.io/name: microsoft.flux (the AKS extension)";
        let up = "app.kubernetes.io/part-of: flux (upstream Flux)";
        if self.upstream() {
            up.into()
        } else if self.facts.extension {
            ext.into()
        } else {
            format!("{ext}, or {up}")
        }
    }

    fn flux_ns_shown(&self) -> String {
        self.flux_ns
            .iter()
            .cloned()
            .collect::<Vec<_>>()
            .join(" or ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_dirs_stay_in_the_layout() {
        assert_eq!(stage_dir("a/b", "./infra/").as_deref(), Some("a/b/infra"));
        assert_eq!(stage_dir("", ".").as_deref(), Some(""));
        assert_eq!(stage_dir("a", "../x"), None);
    }
}
