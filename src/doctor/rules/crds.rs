//! The Pod Identity CRDs: from a branch (FS005) or a release without
//! usable ones (FS006), prunable by Flux (FS007), applied with objects of
//! their kinds (FS016), or in no stage before the one that needs them (FS017).

use std::collections::{BTreeMap, BTreeSet};

use super::{Ctx, POD_IDENTITY_GROUP, POD_IDENTITY_KINDS};
use crate::applied::{Build, Source};
use crate::doctor::report::Finding;
use crate::doctor::scan::{self, Stage};
use crate::doctor::text;

/// The YAML documents by file, kind and name.
type Docs<'d> = BTreeMap<(&'d str, &'d str, &'d str), &'d scan::Doc>;

/// Kinds the CRDs of a stage define: (API group, kind).
type Kinds = BTreeSet<(String, String)>;

impl Ctx<'_> {
    // FS005, FS006, FS007 (remote)
    pub(super) fn remote_crds(&mut self) {
        for r in &self.facts.remote_crds {
            // A ref written as a template or variable expression cannot be judged.
            let expression = r.git_ref.contains(['{', '$', '"', '~']);
            match release(&r.git_ref) {
                _ if expression => {}
                Some((1, 8, _)) => {}
                Some((1, minor, _)) if (6..=7).contains(&minor) => self.out.push(
                    Finding::new(
                        "FS006",
                        &r.file,
                        r.line,
                        format!(
                            "aad-pod-identity {} ships apiextensions.k8s.io/v1beta1 CRDs, which Kubernetes 1.22 and later do not serve",
                            r.git_ref
                        ),
                    )
                    .fix("use a v1.8.x release (v1.8.17 is the last): .../aad-pod-identity/v1.8.17/charts/aad-pod-identity/crds/crd.yaml"),
                ),
                Some(_) => self.out.push(
                    Finding::new(
                        "FS006",
                        &r.file,
                        r.line,
                        format!(
                            "aad-pod-identity {} has no charts/aad-pod-identity/crds/crd.yaml (releases before v1.6.0 ship none)",
                            r.git_ref
                        ),
                    )
                    .fix("use a v1.8.x release (v1.8.17 is the last)"),
                ),
                None if r.git_ref.len() == 40
                    && r.git_ref.chars().all(|c| c.is_ascii_hexdigit()) => {}
                None => self.out.push(
                    Finding::new(
                        "FS005",
                        &r.file,
                        r.line,
                        format!(
                            "the Pod Identity CRDs come from {}, a branch: what is installed changes whenever the branch moves",
                            r.git_ref
                        ),
                    )
                    .fix(format!(
                        "pin a release tag: {}",
                        r.url.replacen(&format!("/{}/", r.git_ref), "/v1.8.17/", 1)
                    )),
                ),
            }
            if !r.prune_disabled {
                self.out.push(prune_finding(
                    &r.file,
                    r.line,
                    "the remote Pod Identity CRDs",
                ));
            }
        }
    }
    // FS007 (in a stage), FS016, FS017
    pub(super) fn crds_in_stages(&mut self) {
        let docs: Docs = self
            .facts
            .docs
            .iter()
            .map(|d| ((d.file.as_str(), d.kind(), d.name()), d))
            .collect();
        let mut has_crds: BTreeMap<(&str, &str), bool> = BTreeMap::new();
        let mut needs_crds: Vec<&Stage> = Vec::new();
        let mut findings = Vec::new();
        for (stage, built) in &self.builds {
            let Some((_, build)) = built else { continue };
            if !build.builds() {
                continue;
            }
            let kinds = self.crds_of_stage(build, &docs, &mut findings);
            let pi = kinds.iter().any(|(g, _)| g == POD_IDENTITY_GROUP);
            // The chart installs the CRDs too: for the stages after its own.
            let chart = self
                .facts
                .installs
                .iter()
                .any(|i| i.helm && build.sources.contains(&Source::File(i.file.clone())));
            has_crds.insert((stage.config.as_str(), stage.name.as_str()), pi || chart);
            let uses_pi = self.applied_with_their_crds(stage, build, &kinds, &mut findings);
            if uses_pi && !pi {
                needs_crds.push(stage);
            }
        }
        // FS017: Flux installs Pod Identity with Helm, so a stage that
        // applies its objects must come after a stage with its CRDs.
        if self.facts.installs.iter().any(|i| i.helm) {
            for stage in needs_crds {
                if !self.crds_in_a_prior_stage(stage, &has_crds) {
                    findings.push(
                        Finding::new(
                            "FS017",
                            &stage.file,
                            stage.line,
                            format!(
                                "stage {} applies Pod Identity objects, but no stage it depends on installs their CRDs: Flux applies a stage at once, so the first apply fails with \"no matches for kind\" and Flux stays broken",
                                stage.name
                            ),
                        )
                        .fix("install the CRDs in a prerequisites stage and make this stage depend on it")
                        ,
                    );
                }
            }
        }
        self.out.extend(findings);
    }

    /// The kinds the CRDs a stage applies define (the remote Pod Identity
    /// CRDs included); FS007 for Pod Identity CRDs Flux may prune.
    fn crds_of_stage(&self, build: &Build, docs: &Docs, findings: &mut Vec<Finding>) -> Kinds {
        let protected = build.read.iter().any(|f| {
            docs.iter().any(|((file, _, _), d)| {
                file == f
                    && d.value
                        .get("commonAnnotations")
                        .and_then(|a| a.get(scan::PRUNE_DISABLED))
                        .and_then(|v| v.as_str())
                        == Some("disabled")
            })
        });
        let mut kinds = Kinds::new();
        if build
            .sources
            .iter()
            .any(|s| matches!(s, Source::Remote(u) if scan::crd_url_ref(u).is_some()))
        {
            for k in POD_IDENTITY_KINDS {
                kinds.insert((POD_IDENTITY_GROUP.into(), k.into()));
            }
        }
        for o in build
            .objects
            .iter()
            .filter(|o| o.kind == "CustomResourceDefinition")
        {
            let Some(d) = docs.get(&(o.file.as_str(), o.kind.as_str(), o.name.as_str())) else {
                continue;
            };
            if let (Some(g), Some(k)) = (
                d.str_at(&["spec", "group"]),
                d.str_at(&["spec", "names", "kind"]),
            ) {
                kinds.insert((g.into(), k.into()));
            }
            let annotated = d
                .value
                .get("metadata")
                .and_then(|m| m.get("annotations"))
                .and_then(|a| a.get(scan::PRUNE_DISABLED))
                .and_then(|v| v.as_str())
                == Some("disabled");
            // The Pod Identity CRDs: pruning them deletes every AzureIdentity.
            let pod_identity = d.str_at(&["spec", "group"]) == Some(POD_IDENTITY_GROUP);
            if pod_identity && !annotated && !protected {
                let line =
                    text::line_of(&self.text_of(&o.file), &format!("name: {}", o.name), d.line);
                findings.push(prune_finding(&o.file, line, &format!("CRD {}", o.name)));
            }
        }
        kinds
    }

    /// FS016 for each object applied in the stage that defines its kind;
    /// whether the stage applies Pod Identity objects.
    fn applied_with_their_crds(
        &self,
        stage: &Stage,
        build: &Build,
        kinds: &Kinds,
        findings: &mut Vec<Finding>,
    ) -> bool {
        let mut uses_pi = false;
        for o in &build.objects {
            let group = o.api_version.split_once('/').map_or("", |(g, _)| g);
            if o.kind == "CustomResourceDefinition" {
                continue;
            }
            if group == POD_IDENTITY_GROUP {
                uses_pi = true;
            }
            if kinds.contains(&(group.to_string(), o.kind.clone())) {
                let line = self.line_in(&o.file, &format!("name: {}", o.name));
                findings.push(
                    Finding::new(
                        "FS016",
                        &o.file,
                        line,
                        format!(
                            "{} {} is applied in stage {} together with the CRD that defines its kind: the apply fails with \"no matches for kind\"",
                            o.kind, o.name, stage.name
                        ),
                    )
                    .fix("move the CRDs to a stage of their own that this stage depends on"),
                );
            }
        }
        uses_pi
    }

    /// Whether a stage `stage` depends on (directly or not) has CRDs.
    fn crds_in_a_prior_stage(
        &self,
        stage: &Stage,
        has_crds: &BTreeMap<(&str, &str), bool>,
    ) -> bool {
        let mut todo = vec![stage.name.as_str()];
        let mut seen = BTreeSet::new();
        let mut found = false;
        while let Some(name) = todo.pop() {
            if !seen.insert(name) {
                continue;
            }
            for s in self
                .facts
                .stages
                .iter()
                .filter(|s| s.config == stage.config && s.name == name)
            {
                if name != stage.name
                    && has_crds
                        .get(&(s.config.as_str(), name))
                        .copied()
                        .unwrap_or(false)
                {
                    found = true;
                }
                todo.extend(s.depends_on.iter().map(String::as_str));
            }
        }
        found
    }
}

fn prune_finding(file: &str, line: usize, what: &str) -> Finding {
    Finding::new(
        "FS007",
        file,
        line,
        format!("{what} may be pruned by Flux: renaming or removing the stage deletes the CRDs and every AzureIdentity with them"),
    )
    .fix(format!(
        "add commonAnnotations: {{{}: disabled}} to the kustomization that lists them",
        scan::PRUNE_DISABLED
    ))
}

/// `vX.Y.Z` as numbers.
fn release(git_ref: &str) -> Option<(u32, u32, u32)> {
    let mut it = git_ref.strip_prefix('v')?.split('.');
    let v = (
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
    );
    it.next().is_none().then_some(v)
}
