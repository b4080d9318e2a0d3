//! Shell scripts: az commands that install Pod Identity, add exceptions,
//! install the Flux extension, or create Flux configurations (stages and
//! the values az reads as written).

use super::{AzValue, DEPENDS_KEYS, Exception, Facts, Form, Install, Stage, depends_on_as_read};
use crate::doctor::text::{self, Word};

pub(super) fn shell(path: &str, text: &str, facts: &mut Facts) {
    for cmd in text::shell_commands(text) {
        let words: Vec<&str> = cmd.iter().map(|w| w.value.as_str()).collect();
        let Some(az) = words.iter().position(|w| *w == "az") else {
            continue;
        };
        let sub = &words[az + 1..];
        let line = cmd[az].line;
        if sub.starts_with(&["aks", "pod-identity"]) {
            facts.installs.push(Install {
                file: path.to_string(),
                line,
                what: "az aks pod-identity: Pod Identity is the AKS add-on".into(),
                helm: false,
            });
        }
        if sub.starts_with(&["aks", "pod-identity", "exception", "add"]) {
            facts.exceptions.push(exception(path, &cmd, line));
        }
        if sub.first() == Some(&"aks") && words.contains(&"--enable-pod-identity") {
            facts.installs.push(Install {
                file: path.to_string(),
                line,
                what: "--enable-pod-identity enables the AKS Pod Identity add-on".into(),
                helm: false,
            });
        }
        if sub.starts_with(&["k8s-extension"])
            && opt(&cmd, &["--extension-type"])
                .is_some_and(|t| t.eq_ignore_ascii_case("microsoft.flux"))
        {
            facts.extension = true;
            facts
                .flux_namespaces
                .extend(opt(&cmd, &["--release-namespace"]));
        }
        if sub.starts_with(&["k8s-configuration", "flux", "create"])
            || sub.starts_with(&["k8s-configuration", "flux", "update"])
        {
            flux_configuration(path, &cmd, line, facts);
        }
    }
}

/// The value of option `names` (`--name value` or `--name=value`).
fn opt(cmd: &[Word], names: &[&str]) -> Option<String> {
    cmd.iter().enumerate().find_map(|(i, w)| {
        if let Some((k, v)) = w.value.split_once('=')
            && names.contains(&k)
        {
            return Some(v.to_string());
        }
        names
            .contains(&w.value.as_str())
            .then(|| cmd.get(i + 1).map(|n| n.value.clone()))
            .flatten()
    })
}

/// `az aks pod-identity exception add`.
fn exception(path: &str, cmd: &[Word], line: usize) -> Exception {
    let labels = cmd
        .iter()
        .skip_while(|w| w.value != "--pod-labels")
        .skip(1)
        .take_while(|w| !w.value.starts_with('-'))
        .filter_map(|w| {
            let (k, v) = w.value.split_once('=')?;
            Some((k.to_string(), v.to_string()))
        })
        .collect();
    Exception {
        file: path.to_string(),
        line,
        form: Form::Az,
        name: opt(cmd, &["--name", "-n"]).unwrap_or_default(),
        namespace: opt(cmd, &["--namespace"]),
        labels,
    }
}

/// `az k8s-configuration flux create|update`: its duration options and
/// each `--kustomization`.
fn flux_configuration(path: &str, cmd: &[Word], line: usize, facts: &mut Facts) {
    facts.extension = true;
    let config = format!("{path}#{line}");
    for (i, w) in cmd.iter().enumerate() {
        if matches!(
            w.value.as_str(),
            "--interval" | "--timeout" | "--sync-interval"
        ) && let Some(v) = cmd.get(i + 1)
        {
            facts.az_values.push(AzValue {
                file: path.to_string(),
                key: w.value.clone(),
                word: v.clone(),
            });
        }
        if matches!(w.value.as_str(), "--kustomization" | "-k") {
            kustomization(path, &config, w, &cmd[i + 1..], facts);
        }
    }
}

/// One `--kustomization` (the option word `opt`, then what follows it):
/// its `key=value` words and its stage.
fn kustomization(path: &str, config: &str, opt: &Word, rest: &[Word], facts: &mut Facts) {
    let kws: Vec<&Word> = rest
        .iter()
        .take_while(|w| !w.value.starts_with('-'))
        .collect();
    let get = |key: &[&str]| {
        kws.iter().find_map(|w| {
            let (k, v) = w.value.split_once('=')?;
            key.contains(&k).then(|| v.to_string())
        })
    };
    for w in &kws {
        if let Some((k, _)) = w.value.split_once('=') {
            facts.az_values.push(AzValue {
                file: path.to_string(),
                key: k.to_string(),
                word: (*w).clone(),
            });
        }
    }
    let deps = get(&DEPENDS_KEYS)
        .map(|d| depends_on_as_read(&d))
        .unwrap_or_default();
    facts.stages.push(Stage {
        file: path.to_string(),
        line: kws
            .iter()
            .find(|w| w.value.starts_with("path="))
            .map_or(opt.line, |w| w.line),
        config: config.to_string(),
        name: get(&["name"]).unwrap_or_default(),
        path: Some(get(&["path"]).unwrap_or_else(|| ".".into())).filter(|p| !p.contains('$')),
        depends_on: deps,
        target_namespace: None,
        flux_patches: false,
    });
}
