//! Pod Identity exceptions for the Flux pods: none at all (FS001), in a
//! namespace NMI does not read (FS002), selecting no Flux pod (FS003), one
//! of the extension's two label values only (FS004), one name twice (FS015).

use std::collections::{BTreeMap, BTreeSet};

use super::{Ctx, EXTENSION_LABELS};
use crate::applied::Source;
use crate::doctor::report::Finding;
use crate::doctor::scan::{Exception, Form};

/// Each exception with the namespaces Flux applies it in.
type Applied<'a> = [(&'a Exception, BTreeSet<String>)];

impl Ctx<'_> {
    // FS001, FS002, FS003, FS004, FS015
    pub(super) fn exceptions(&mut self) {
        let facts = self.facts;
        let applied: Vec<(&Exception, BTreeSet<String>)> = facts
            .exceptions
            .iter()
            .map(|e| (e, self.applied_namespaces(e)))
            .collect();
        self.no_flux_exception(&applied);
        for (e, ns) in &applied {
            if self.for_flux(e, ns) {
                self.outside_flux_namespace(e, ns);
                self.selects_no_flux_pod(e, ns);
            }
        }
        self.one_extension_label(&applied);
        self.same_name_twice(&applied);
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
        // A YAML exception no stage applies protects nothing, once doctor
        // knows what every stage applies; else it is taken where declared.
        if out.is_empty() && (e.form != Form::Yaml || !self.known_unapplied(&e.file)) {
            out.insert(e.namespace.clone().unwrap_or_else(|| "default".into()));
        }
        out
    }

    /// Whether doctor can tell that no stage applies `file`: there is a
    /// stage; no stage that fails to build (which doctor reports on its
    /// own) read it or a folder above it; and when a stage's path is
    /// computed or leaves the layout, the file lies in a known stage's own
    /// folder (another stage aimed at that folder would be that stage).
    fn known_unapplied(&self, file: &str) -> bool {
        let known = || self.builds.iter().filter_map(|(_, b)| b.as_ref());
        if self.builds.is_empty() || known().any(|(_, b)| !b.builds() && b.depends_on(file)) {
            return false;
        }
        let folder = file.rsplit_once('/').map_or("", |(d, _)| d);
        self.builds.iter().all(|(_, b)| b.is_some()) || known().any(|(dir, _)| dir == folder)
    }

    fn in_flux_ns(&self, ns: &BTreeSet<String>) -> bool {
        ns.iter().any(|n| self.flux_ns.contains(n))
    }

    /// Whether exception `e`, applied in `ns`, is meant for the Flux pods.
    fn for_flux(&self, e: &Exception, ns: &BTreeSet<String>) -> bool {
        (!ns.is_empty() && self.for_flux_declared(e)) || self.in_flux_ns(ns)
    }

    /// Whether exception `e`, as declared, is meant for the Flux pods.
    fn for_flux_declared(&self, e: &Exception) -> bool {
        e.namespace
            .as_ref()
            .is_some_and(|n| self.flux_ns.contains(n))
            || self.matches_flux(&e.labels)
    }

    // FS001: Pod Identity installed, and no exception for Flux.
    fn no_flux_exception(&mut self, applied: &Applied) {
        if let Some(install) = self.facts.installs.first()
            && !applied.iter().any(|(e, ns)| self.for_flux(e, ns))
        {
            self.out.push(
                Finding::new(
                    "FS001",
                    &install.file,
                    install.line,
                    format!(
                        "{}, but no AzurePodIdentityException in {} leaves the Flux pods alone: NMI intercepts Flux's token requests and Flux stops reconciling{}",
                        install.what,
                        self.flux_ns_shown(),
                        unapplied(applied, |e| self.for_flux_declared(e))
                    ),
                )
                .fix(format!(
                    "add one AzurePodIdentityException per Flux pod label value ({}) in {}, in place before Pod Identity starts",
                    self.expected_labels(),
                    self.flux_ns_shown()
                ))
                .command_opt(Some(self.fix_command())),
            );
        }
    }

    // FS002: an exception for Flux that Flux applies in another namespace.
    fn outside_flux_namespace(&mut self, e: &Exception, ns: &BTreeSet<String>) {
        for n in ns.iter().filter(|n| !self.flux_ns.contains(*n)) {
            let how = match &e.namespace {
                Some(d) if d != n => format!(
                    "is declared in {d} but Flux applies it in {n} (a namespace: override or targetNamespace above it)"
                ),
                _ => format!("is in {n}"),
            };
            self.out.push(
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
    }

    // FS003: an exception in the Flux namespace whose labels select no Flux pod.
    fn selects_no_flux_pod(&mut self, e: &Exception, ns: &BTreeSet<String>) {
        if self.in_flux_ns(ns) && !self.matches_flux(&e.labels) {
            let shown: Vec<String> = e.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            self.out.push(
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
    fn one_extension_label(&mut self, applied: &Applied) {
        if self.upstream() {
            return;
        }
        let mut covered: BTreeMap<&str, &Exception> = BTreeMap::new();
        for (e, ns) in applied {
            if !self.in_flux_ns(ns) {
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
            self.out.push(
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
    fn same_name_twice(&mut self, applied: &Applied) {
        let mut groups: BTreeMap<(String, String, String), Vec<&Exception>> = BTreeMap::new();
        for (e, ns) in applied {
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
                self.out.push(
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
    }
}

/// What FS001 adds about exceptions for Flux that no stage applies: their
/// files are there, but no kustomization Flux builds lists them.
fn unapplied(applied: &Applied, for_flux: impl Fn(&Exception) -> bool) -> String {
    let files: BTreeSet<&str> = applied
        .iter()
        .filter(|(e, ns)| ns.is_empty() && for_flux(e))
        .map(|(e, _)| e.file.as_str())
        .collect();
    if files.is_empty() {
        return String::new();
    }
    let files: Vec<&str> = files.into_iter().collect();
    format!(
        " ({} declares exceptions, but no stage Flux applies lists it)",
        files.join(", ")
    )
}
