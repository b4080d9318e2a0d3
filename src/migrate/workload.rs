//! Workloads whose pods carry `aadpodidbinding`: the pod templates of
//! Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and CronJobs,
//! and the values of Flux HelmReleases that set the label.

use serde_yaml::Value;

use super::objects::{Found, at, str_at};
use super::{POD_IDENTITY_LABEL, Workload};

/// The pod template of a workload kind, as a path from the object.
fn template_path(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            Some(&["spec", "template"])
        }
        "CronJob" => Some(&["spec", "jobTemplate", "spec", "template"]),
        _ => None,
    }
}

/// The workload `found` is, when its pods carry the Pod Identity label.
pub fn of(found: &Found) -> Option<Workload> {
    let o = &found.object;
    let mut w = Workload {
        kind: o.kind.clone(),
        api_version: o.api_version.clone(),
        name: o.name.clone(),
        namespace: o.namespace.clone(),
        declared_namespace: o.declared_namespace.clone(),
        file: o.file.clone(),
        selector: String::new(),
        service_account: None,
        values_path: Vec::new(),
        problem: None,
    };
    if o.api_version.starts_with("helm.toolkit.fluxcd.io/") && o.kind == "HelmRelease" {
        return helm_release(found, w);
    }
    let template = at(&found.body, template_path(&o.kind)?)?;
    w.selector = label(at(template, &["metadata", "labels"])?)?;
    w.service_account = str_at(template, &["spec", "serviceAccountName"])
        .or_else(|| str_at(template, &["spec", "serviceAccount"]))
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    if w.service_account.is_none() {
        w.problem = Some(
            "its pods run as the namespace's default service account: give them a \
             service account of their own (spec.serviceAccountName) first"
                .into(),
        );
    }
    Some(w)
}

fn label(labels: &Value) -> Option<String> {
    match labels.get(POD_IDENTITY_LABEL)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn helm_release(found: &Found, mut w: Workload) -> Option<Workload> {
    let values = at(&found.body, &["spec", "values"])?;
    let mut path = Vec::new();
    w.selector = find_label(values, &mut path)?;
    w.values_path = path;
    if let Some(ns) = str_at(&found.body, &["spec", "targetNamespace"]) {
        w.namespace = Some(ns.to_string());
    }
    let sa = at(values, &["serviceAccount"]);
    let name = sa
        .and_then(|s| str_at(s, &["name"]))
        .filter(|s| !s.is_empty());
    let created = sa.and_then(|s| s.get("create")).and_then(Value::as_bool);
    match (name, created) {
        (Some(name), Some(false)) => w.service_account = Some(name.to_string()),
        _ => {
            w.problem = Some(
                "the service account its chart runs the pods as is not declared here: set \
                 serviceAccount.name and serviceAccount.create: false in its values (and \
                 check the chart reads them) first"
                    .into(),
            )
        }
    }
    Some(w)
}

/// The first `aadpodidbinding` value in a values tree (keys in file order),
/// with the keys of the mapping that holds it.
fn find_label(v: &Value, path: &mut Vec<String>) -> Option<String> {
    let m = v.as_mapping()?;
    if let Some(s) = label(v) {
        return Some(s);
    }
    for (k, child) in m {
        let Some(k) = k.as_str() else { continue };
        path.push(k.to_string());
        if let Some(s) = find_label(child, path) {
            return Some(s);
        }
        path.pop();
    }
    None
}
