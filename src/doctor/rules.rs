//! The rules: each reads the facts of one layout (and what Flux applies
//! from its stages) and returns findings. Rule ids are in [`super::report::RULES`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use super::report::{Finding, Severity};
use super::scan::{self, DEPENDS_KEYS, Exception, Facts, Form, Stage};
use super::text;
use crate::applied::{self, Build, Source};
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
pub fn check(tree: &dyn Tree, layout: &str, facts: &Facts) -> Result<Vec<Finding>> {
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
    ctx.out
        .extend(super::migration::check(tree, facts, &built)?);
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
    /// repository it did not make and adds its exception file. None in a
    /// generated layout (`regen` keeps a user's edits, deletions included)
    /// and for rules where the tool would keep the user's file as it is.
    fn fix_command(&self) -> Option<String> {
        let dir = if self.layout.is_empty() {
            "."
        } else {
            self.layout
        };
        let state = applied::join(self.layout, crate::state::DIR);
        let generated = self.tree.list(&state).is_ok_and(|l| !l.is_empty());
        (!generated).then(|| format!("flux-scaffold init {dir}"))
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

    // FS008, FS009
    fn stages(&mut self) -> Result<()> {
        let mut seen = BTreeSet::new();
        for (stage, built) in &self.builds {
            let Some((dir, build)) = built else { continue };
            let where_ = format!(
                "stage {} (path {})",
                stage.name,
                stage.path.as_deref().unwrap_or("")
            );
            if build.missing {
                self.out.push(
                    Finding::new(
                        "FS008",
                        &stage.file,
                        stage.line,
                        format!("{where_}: the folder {dir} does not exist in the repository, so Flux fails the kustomization"),
                    )
                    .fix("create the folder with a kustomization.yaml, or point the path at an existing folder"),
                );
                continue;
            }
            for e in &build.errors {
                if !seen.insert(e.clone()) {
                    continue;
                }
                let (file, line) = match locate(e, self.tree) {
                    Some((file, needle)) => {
                        let line = self.line_in(&file, &needle);
                        (file, line)
                    }
                    None => (stage.file.clone(), stage.line),
                };
                // A file with the article's typo fails the build: FS014 says why.
                if self.facts.typos.iter().any(|(f, _, _)| *f == file) {
                    continue;
                }
                self.out.push(
                    Finding::new(
                        "FS009",
                        &file,
                        line,
                        format!("Flux cannot build {where_}: {e}"),
                    )
                    .fix("make every entry point at a file or folder that exists, and define each object once"),
                );
            }
        }
        Ok(())
    }

    /// The namespaces Flux applies exception `e` in.
    fn applied_namespaces(&self, e: &Exception) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        if e.form == Form::Yaml {
            for (stage, built) in &self.builds {
                let Some((_, build)) = built else { continue };
                for o in &build.objects {
                    if o.kind == "AzurePodIdentityException" && o.file == e.file && o.name == e.name
                    {
                        out.insert(
                            stage
                                .target_namespace
                                .clone()
                                .or_else(|| o.namespace.clone())
                                .unwrap_or_else(|| "default".into()),
                        );
                    }
                }
            }
        }
        if out.is_empty() {
            out.insert(e.namespace.clone().unwrap_or_else(|| "default".into()));
        }
        out
    }

    // FS001, FS002, FS003, FS004, FS015
    fn exceptions(&mut self) {
        let facts = self.facts;
        let mut out = Vec::new();
        let applied: Vec<(&Exception, BTreeSet<String>)> = facts
            .exceptions
            .iter()
            .map(|e| (e, self.applied_namespaces(e)))
            .collect();
        let in_flux_ns = |ns: &BTreeSet<String>| ns.iter().any(|n| self.flux_ns.contains(n));
        let for_flux = |e: &Exception, ns: &BTreeSet<String>| {
            in_flux_ns(ns)
                || e.namespace
                    .as_ref()
                    .is_some_and(|n| self.flux_ns.contains(n))
                || self.matches_flux(&e.labels)
        };
        if let Some(install) = facts.installs.first()
            && !applied.iter().any(|(e, ns)| for_flux(e, ns))
        {
            out.push(
                Finding::new(
                    "FS001",
                    &install.file,
                    install.line,
                    format!(
                        "{}, but no AzurePodIdentityException in {} leaves the Flux pods alone: NMI intercepts Flux's token requests and Flux stops reconciling",
                        install.what,
                        self.flux_ns_shown()
                    ),
                )
                .fix(format!(
                    "add one AzurePodIdentityException per Flux pod label value ({}) in {}, in place before Pod Identity starts",
                    self.expected_labels(),
                    self.flux_ns_shown()
                ))
                .command_opt(self.fix_command()),
            );
        }
        for (e, ns) in &applied {
            if !for_flux(e, ns) {
                continue;
            }
            for n in ns.iter().filter(|n| !self.flux_ns.contains(*n)) {
                let how = match &e.namespace {
                    Some(d) if d != n => format!(
                        "is declared in {d} but Flux applies it in {n} (a namespace: override or targetNamespace above it)"
                    ),
                    _ => format!("is in {n}"),
                };
                out.push(
                    Finding::new(
                        "FS002",
                        &e.file,
                        e.line,
                        format!(
                            "AzurePodIdentityException {} {how}: NMI reads exceptions only from the Flux pods' own namespace, {}",
                            e.name,
                            self.flux_ns_shown()
                        ),
                    )
                    .fix(format!(
                        "keep the exception in {}: list it from a kustomization without a namespace: override (and no targetNamespace)",
                        self.flux_ns_shown()
                    )),
                );
            }
            if in_flux_ns(ns) && !self.matches_flux(&e.labels) {
                let shown: Vec<String> = e.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                out.push(
                    Finding::new(
                        "FS003",
                        &e.file,
                        e.line,
                        format!(
                            "AzurePodIdentityException {} selects {} which no Flux pod carries",
                            e.name,
                            if shown.is_empty() {
                                "no label".to_string()
                            } else {
                                shown.join(", ")
                            }
                        ),
                    )
                    .fix(format!(
                        "select the Flux pods' labels: {}",
                        self.expected_labels()
                    )),
                );
            }
        }
        // FS004: the extension's two label values, one covered.
        if !self.upstream() {
            let mut covered: BTreeMap<&str, &Exception> = BTreeMap::new();
            for (e, ns) in &applied {
                if !in_flux_ns(ns) {
                    continue;
                }
                for (k, v) in &e.labels {
                    for (ek, ev) in EXTENSION_LABELS {
                        if k == ek && v.eq_ignore_ascii_case(ev) {
                            covered.entry(ev).or_insert(e);
                        }
                    }
                }
            }
            if let [(value, e)] = covered.into_iter().collect::<Vec<_>>()[..] {
                let other = EXTENSION_LABELS
                    .iter()
                    .map(|(_, v)| *v)
                    .find(|v| *v != value)
                    .unwrap_or_default();
                out.push(
                    Finding::new(
                        "FS004",
                        &e.file,
                        e.line,
                        format!(
                            "the exceptions cover app.kubernetes.io/name={value} only: extension versions label their pods {other} or {value}, so on the other versions Flux is intercepted"
                        ),
                    )
                    .fix(format!(
                        "add a second AzurePodIdentityException (a label map holds one value per key) with app.kubernetes.io/name: {other}"
                    ))
                    ,
                );
            }
        }
        // FS015: one name twice in one namespace, within one form.
        let mut groups: BTreeMap<(String, String, String), Vec<&Exception>> = BTreeMap::new();
        for (e, ns) in &applied {
            let scope = match e.form {
                Form::Yaml => "yaml".to_string(),
                _ => e.file.clone(),
            };
            for n in ns {
                groups
                    .entry((scope.clone(), n.clone(), e.name.clone()))
                    .or_default()
                    .push(e);
            }
        }
        for ((_, ns, name), list) in groups {
            if list.len() < 2 || name.is_empty() {
                continue;
            }
            // Twice in one build is a duplicate id (FS009).
            let one_build = self.builds.iter().any(|(_, b)| {
                b.as_ref().is_some_and(|(_, b)| {
                    list.iter()
                        .all(|e| b.sources.contains(&Source::File(e.file.clone())))
                })
            });
            if one_build && list[0].form == Form::Yaml {
                continue;
            }
            for e in &list[1..] {
                out.push(
                    Finding::new(
                        "FS015",
                        &e.file,
                        e.line,
                        format!(
                            "AzurePodIdentityException {name} in {ns} is declared again (first at {}:{}): one replaces the other, or the add-on keeps both entries",
                            list[0].file, list[0].line
                        ),
                    )
                    .fix("give each exception its own name (one per label value)"),
                );
            }
        }
        self.out.extend(out);
    }

    // FS005, FS006, FS007 (remote)
    fn remote_crds(&mut self) {
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
    fn crds_in_stages(&mut self) {
        let docs: BTreeMap<(&str, &str, &str), &scan::Doc> = self
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
            let mut kinds: BTreeSet<(String, String)> = BTreeSet::new();
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
            let pi = kinds.iter().any(|(g, _)| g == POD_IDENTITY_GROUP);
            // The chart installs the CRDs too: for the stages after its own.
            let chart = self
                .facts
                .installs
                .iter()
                .any(|i| i.helm && build.sources.contains(&Source::File(i.file.clone())));
            has_crds.insert((stage.config.as_str(), stage.name.as_str()), pi || chart);
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
            if uses_pi && !pi {
                needs_crds.push(stage);
            }
        }
        // FS017: Flux installs Pod Identity with Helm, so a stage that
        // applies its objects must come after a stage with its CRDs.
        if self.facts.installs.iter().any(|i| i.helm) {
            for stage in needs_crds {
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
                if !found {
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

    // FS010, FS011, FS012, FS013
    fn az(&mut self) {
        for v in &self.facts.az_values {
            let w = &v.word;
            let value = w.value.split_once('=').map_or(w.value.as_str(), |(_, v)| v);
            let key = v.key.as_str();
            if DEPENDS_KEYS.contains(&key) {
                let read = scan::depends_on_as_read(value);
                let broken: Vec<&String> = read
                    .iter()
                    .filter(|n| n.contains(['"', '\'', ' ', '[', ']', '\\']))
                    .collect();
                let fragile = w.raw.contains(['"', '\'', '[', ']', '\\', ' ']);
                if !broken.is_empty() {
                    self.out.push(
                        Finding::new(
                            "FS010",
                            &v.file,
                            w.line,
                            format!(
                                "{} reaches az as {value:?}: az strips one [ and ] and splits on commas, so the dependency is named {:?} and matches no kustomization",
                                w.raw, broken[0]
                            ),
                        )
                        .severity(Severity::Error)
                        .fix(format!("write depends_on={} (comma-separated, no brackets, quotes or spaces)", clean_names(&read))),
                    );
                } else if fragile {
                    self.out.push(
                        Finding::new(
                            "FS010",
                            &v.file,
                            w.line,
                            format!(
                                "{} works only because this shell strips the quotes and az strips the brackets; quoted differently (PowerShell, a variable, a CI step) the quotes reach az and name no kustomization",
                                w.raw
                            ),
                        )
                        .fix(format!("write depends_on={}", clean_names(&read))),
                    );
                }
            } else if key == "prune" && !value.eq_ignore_ascii_case("true") && !value.is_empty() {
                self.out.push(
                    Finding::new(
                        "FS011",
                        &v.file,
                        w.line,
                        format!("prune={value} is sent as \"prune\": true (az passes the string on, and any non-empty string is true)"),
                    )
                    .fix("leave prune out to keep the default (false); write prune=true only when pruning is wanted"),
                );
            } else if key == "disable_health_check" {
                self.out.push(
                    Finding::new(
                        "FS012",
                        &v.file,
                        w.line,
                        "disable_health_check (the help's spelling) is ignored by az: the key it reads is disable-health-check".into(),
                    )
                    .fix(format!("write disable-health-check={value}")),
                );
            } else if matches!(
                key,
                "sync_interval"
                    | "syncInterval"
                    | "retry_interval"
                    | "retryInterval"
                    | "timeout"
                    | "--interval"
                    | "--timeout"
                    | "--sync-interval"
            ) && !canonical(value)
            {
                let secs = az_seconds(value);
                self.out.push(
                    Finding::new(
                        "FS013",
                        &v.file,
                        w.line,
                        format!("{key} {value} is not in the XhYmZs form: az reads it as {secs} s, with no error"),
                    )
                    .fix("write whole seconds in the XhYmZs form (10m, 1h30m, 90s)"),
                );
            }
        }
    }

    // FS014
    fn typos(&mut self) {
        for (file, line, message) in &self.facts.typos {
            self.out.push(
                Finding::new("FS014", file, *line, message.clone())
                    .fix("name the file kustomization.yaml and write kind: Kustomization (apiVersion kustomize.config.k8s.io/v1beta1)"),
            );
        }
    }

    // FS018
    fn bicep_versions(&mut self) {
        const OBJECT_DEPENDS: [&str; 2] = ["2021-11-01-preview", "2022-01-01-preview"];
        for f in &self.facts.bicep_fields {
            let v = f.api_version.as_str();
            if v.is_empty() {
                continue;
            }
            let wrong = match f.field {
                "dependsOn-object" => (!OBJECT_DEPENDS.contains(&v)).then(|| {
                    format!("dependsOn entries are objects ({{ kustomizationName: ... }}), the shape of 2021-11-01-preview and 2022-01-01-preview; {v} takes names ['infra']")
                }),
                "dependsOn-string" => OBJECT_DEPENDS.contains(&v).then(|| {
                    format!("dependsOn entries are names; {v} takes objects [{{ kustomizationName: 'infra' }}]")
                }),
                "wait" | "postBuild" => (v.get(..10).unwrap_or(v) < "2023-05-01")
                    .then(|| format!("{} exists from API version 2023-05-01 on; {v} lacks it", f.field)),
                "validation" => (v != "2021-11-01-preview")
                    .then(|| format!("validation exists only in 2021-11-01-preview; {v} lacks it")),
                _ => None,
            };
            if let Some(why) = wrong {
                self.out.push(
                    Finding::new(
                        "FS018",
                        &f.file,
                        f.line,
                        format!("kustomization {}: {why}", f.kustomization),
                    )
                    .fix("write the shape of the API version the resource declares, or change the version"),
                );
            }
        }
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

fn clean_names(names: &[String]) -> String {
    names
        .iter()
        .map(|n| n.trim_matches(|c: char| "\"' []\\".contains(c)))
        .collect::<Vec<_>>()
        .join(",")
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

/// A duration in the `XhYmZs` form az reads as written.
fn canonical(v: &str) -> bool {
    static RE: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r"^(\d+h)?(\d+m)?(\d+s)?$").expect("valid"));
    !v.is_empty() && RE.is_match(v)
}

/// What az makes of a duration: `((\d+?)h)?((\d+?)m)?((\d+?)s)?` from the start.
fn az_seconds(v: &str) -> u64 {
    static RE: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r"^((\d+?)h)?((\d+?)m)?((\d+?)s)?").expect("valid"));
    let Some(c) = RE.captures(v) else { return 0 };
    let n = |i: usize| {
        c.get(i)
            .and_then(|m| m.as_str().parse::<u64>().ok())
            .unwrap_or(0)
    };
    n(2) * 3600 + n(4) * 60 + n(6)
}

/// The file (and a text to find its line) a build error is about.
fn locate(e: &str, tree: &dyn Tree) -> Option<(String, String)> {
    if let Some(rest) = e.strip_prefix("Flux's generated kustomization fails on ") {
        return Some((rest.split(": ").next()?.to_string(), String::new()));
    }
    if let Some((id, rest)) = e.split_once(" is defined twice (") {
        let files = rest.split(')').next()?;
        let second = files.split(" and ").nth(1)?;
        let name = id.rsplit('/').next()?;
        return Some((second.to_string(), format!("name: {name}")));
    }
    let (file, rest) = e.split_once(": ")?;
    tree.read(file).ok()??;
    let needle = rest
        .strip_prefix("entry \"")
        .and_then(|r| r.split('"').next())
        .unwrap_or("")
        .to_string();
    Some((file.to_string(), needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn az_reads_durations_from_the_start() {
        assert_eq!(az_seconds("500ms"), 500 * 60);
        assert_eq!(az_seconds("30s1m"), 30);
        assert_eq!(az_seconds("1h1h"), 3600);
        assert!(
            canonical("1h30m") && canonical("90s") && !canonical("1h1h") && !canonical("500ms")
        );
    }

    #[test]
    fn stage_dirs_stay_in_the_layout() {
        assert_eq!(stage_dir("a/b", "./infra/").as_deref(), Some("a/b/infra"));
        assert_eq!(stage_dir("", ".").as_deref(), Some(""));
        assert_eq!(stage_dir("a", "../x"), None);
    }
}
