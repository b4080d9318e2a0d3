//! Findings and the three ways of printing them: text grouped by file,
//! one JSON document, and SARIF 2.1.0 for code-scanning viewers.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;
use serde_json::json;

/// How bad a finding is; `--fail-on` compares against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One rule: its stable id, its severity, and what it checks.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
}

/// Every rule doctor has, in id order. Ids are never reused.
pub const RULES: &[Rule] = &[
    Rule {
        id: "FS001",
        severity: Severity::Error,
        title: "Pod Identity is installed but no AzurePodIdentityException covers the Flux pods in the Flux namespace",
    },
    Rule {
        id: "FS002",
        severity: Severity::Error,
        title: "An AzurePodIdentityException for Flux is applied in another namespace than the Flux pods'",
    },
    Rule {
        id: "FS003",
        severity: Severity::Error,
        title: "An AzurePodIdentityException in the Flux namespace matches no Flux pod label",
    },
    Rule {
        id: "FS004",
        severity: Severity::Warning,
        title: "The exceptions cover only one of the Flux extension's label values",
    },
    Rule {
        id: "FS005",
        severity: Severity::Error,
        title: "Remote Pod Identity CRDs from an unpinned URL (a branch)",
    },
    Rule {
        id: "FS006",
        severity: Severity::Error,
        title: "Remote Pod Identity CRDs from a release whose CRDs are v1beta1 or missing",
    },
    Rule {
        id: "FS007",
        severity: Severity::Warning,
        title: "Pod Identity CRDs that Flux may prune (no kustomize.toolkit.fluxcd.io/prune: disabled)",
    },
    Rule {
        id: "FS008",
        severity: Severity::Error,
        title: "A stage path in the infrastructure code does not exist",
    },
    Rule {
        id: "FS009",
        severity: Severity::Error,
        title: "A stage does not build (an entry pointing at nothing, a duplicate id, a file that is not Kubernetes objects)",
    },
    Rule {
        id: "FS010",
        severity: Severity::Warning,
        title: "az --kustomization depends_on holds quotes, brackets or spaces",
    },
    Rule {
        id: "FS011",
        severity: Severity::Error,
        title: "az --kustomization prune=false is sent as prune: true",
    },
    Rule {
        id: "FS012",
        severity: Severity::Warning,
        title: "az --kustomization disable_health_check is ignored (the key is disable-health-check)",
    },
    Rule {
        id: "FS013",
        severity: Severity::Error,
        title: "az duration not in the XhYmZs form the CLI reads",
    },
    Rule {
        id: "FS014",
        severity: Severity::Error,
        title: "Kustomization typo from the 2022 article (kind: Customization, customization.yaml)",
    },
    Rule {
        id: "FS015",
        severity: Severity::Error,
        title: "Two AzurePodIdentityExceptions with one name in one namespace",
    },
    Rule {
        id: "FS016",
        severity: Severity::Error,
        title: "CRDs in the same stage as objects of their kinds",
    },
    Rule {
        id: "FS017",
        severity: Severity::Error,
        title: "The stage with Pod Identity objects does not depend on the stage with their CRDs",
    },
    Rule {
        id: "FS018",
        severity: Severity::Error,
        title: "Bicep fluxConfigurations field or dependsOn shape that its API version lacks",
    },
    Rule {
        id: "FS019",
        severity: Severity::Warning,
        title: "A workload still labels its pods aadpodidbinding, but Pod Identity is no longer installed",
    },
    Rule {
        id: "FS020",
        severity: Severity::Warning,
        title: "A service account names a Workload Identity client id, but no federated credential trusts it",
    },
    Rule {
        id: "FS021",
        severity: Severity::Error,
        title: "A cluster with workload identity but without the OIDC issuer",
    },
];

pub fn rule(id: &str) -> &'static Rule {
    RULES
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("unknown rule {id}"))
}

/// One problem found in the repository.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    /// File from the doctored folder, `/`-separated.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    pub rule: &'static str,
    pub severity: Severity,
    /// One line: what is wrong.
    pub message: String,
    /// One line: how to make it right.
    pub fix: String,
    /// The flux-scaffold command that makes it right, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

impl Finding {
    pub fn new(rule_id: &'static str, file: &str, line: usize, message: String) -> Self {
        Finding {
            file: file.to_string(),
            line: line.max(1),
            rule: rule_id,
            severity: rule(rule_id).severity,
            message,
            fix: String::new(),
            command: None,
        }
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = fix.into();
        self
    }

    pub fn command_opt(mut self, command: Option<String>) -> Self {
        self.command = command;
        self
    }

    pub fn severity(mut self, s: Severity) -> Self {
        self.severity = s;
        self
    }
}

/// Text, grouped by file, with a closing count.
pub fn text(findings: &[Finding], color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut by_file: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        by_file.entry(&f.file).or_default().push(f);
    }
    let mut out = String::new();
    for (file, list) in by_file {
        let _ = writeln!(out, "{}", paint("1", file));
        for f in list {
            let sev = match f.severity {
                Severity::Error => paint("31", "error"),
                Severity::Warning => paint("33", "warning"),
                Severity::Note => paint("36", "note"),
            };
            let _ = writeln!(out, "  {}:{} {sev} {}: {}", file, f.line, f.rule, f.message);
            if !f.fix.is_empty() {
                let _ = writeln!(out, "    fix: {}", f.fix);
            }
            if let Some(c) = &f.command {
                let _ = writeln!(out, "    run: {c}");
            }
        }
    }
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let _ = writeln!(
        out,
        "{} error(s), {} warning(s), {} note(s)",
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Note)
    );
    out
}

/// One JSON document: `{ "command": "doctor", "findings": [...], "summary": {...} }`.
pub fn json(findings: &[Finding]) -> String {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let doc = json!({
        "command": "doctor",
        "findings": findings,
        "summary": {
            "errors": count(Severity::Error),
            "warnings": count(Severity::Warning),
            "notes": count(Severity::Note),
        }
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// A SARIF 2.1.0 log with one run.
pub fn sarif(findings: &[Finding]) -> String {
    let rules: Vec<_> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "shortDescription": { "text": r.title },
                "defaultConfiguration": { "level": r.severity.as_str() },
            })
        })
        .collect();
    let results: Vec<_> = findings
        .iter()
        .map(|f| {
            let mut text = f.message.clone();
            if !f.fix.is_empty() {
                text.push_str(&format!(" Fix: {}", f.fix));
            }
            if let Some(c) = &f.command {
                text.push_str(&format!(" Run: {c}"));
            }
            json!({
                "ruleId": f.rule,
                "ruleIndex": RULES.iter().position(|r| r.id == f.rule).unwrap_or(0),
                "level": f.severity.as_str(),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.file, "uriBaseId": "%SRCROOT%" },
                        "region": { "startLine": f.line }
                    }
                }]
            })
        })
        .collect();
    let doc = json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{
            "tool": { "driver": {
                "name": "flux-scaffold",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }]
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}
