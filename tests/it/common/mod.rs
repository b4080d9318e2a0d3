//! Helpers shared by the integration tests.

pub mod az;
pub mod bicep;
pub mod flux;
pub mod patch_check;
pub mod run;
pub mod shell;
pub mod stubs;
pub mod wi;
pub mod wi_apply;

pub use run::{Repo, Test, json, stderr, stdout, tempdir, write_file};

use std::path::{Path, PathBuf};
use std::process::Command;

/// The answers every test needs: the user's own infrastructure.
pub const REQUIRED: [&str; 3] = [
    "git_url=https://github.com/example/gitops",
    "cluster_name=aks-demo",
    "resource_group=rg-demo",
];

/// The binary under test, which cargo builds for the integration tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_flux-scaffold");

/// The binary under test, with NO_COLOR set.
pub fn bin() -> Command {
    let mut c = Command::new(BIN);
    c.env("NO_COLOR", "1").env_remove("FLUX_SCAFFOLD_NO_INPUT");
    c
}

/// `flux-scaffold init --no-input ARGS... DIR` with the required answers
/// and `sets`, ready to run.
pub fn init_cmd(dir: &Path, args: &[&str], sets: &[&str]) -> Command {
    let mut c = bin();
    c.arg("init").arg("--no-input").args(args).arg(dir);
    for s in REQUIRED.iter().chain(sets) {
        c.arg("--set").arg(s);
    }
    c
}

/// `flux-scaffold init --no-input DIR --set ...` with the required answers, run.
pub fn init(dir: &Path, sets: &[&str]) -> std::process::Output {
    init_cmd(dir, &[], sets).output().expect("runs")
}

/// `init` with `sets`, which must succeed.
pub fn generate(root: &Path, sets: &[&str]) {
    let out = init(root, sets);
    assert!(out.status.success(), "{sets:?}: {}", stderr(&out));
}

/// A generated file's text.
pub fn read(root: &Path, rel: &str) -> String {
    std::fs::read_to_string(root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// `flux-scaffold regen --check DIR`, run.
pub fn regen_check(dir: &Path) -> std::process::Output {
    bin()
        .args(["regen", "--check"])
        .arg(dir)
        .output()
        .expect("runs")
}

/// Panics with the command's stderr unless it succeeded.
pub fn assert_success(out: &std::process::Output) {
    assert!(out.status.success(), "{}", stderr(out));
}

/// `kubectl kustomize DIR`, which must succeed; returns the built YAML.
/// kubectl is a required tool of the test suite: its absence fails loudly.
pub fn kustomize_build(dir: &Path) -> String {
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .expect("kubectl must be installed to run these tests (.ci/run installs it)");
    assert!(
        out.status.success(),
        "kubectl kustomize {} failed:\n{}",
        dir.display(),
        stderr(&out)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The documents of a multi-document YAML stream.
pub fn documents(yaml: &str) -> Vec<serde_yaml::Value> {
    use serde::Deserialize;
    serde_yaml::Deserializer::from_str(yaml)
        .map(|d| serde_yaml::Value::deserialize(d).expect("valid YAML"))
        .filter(|v| !v.is_null())
        .collect()
}

/// ../shared beside the project root: the reference schemas and the
/// corpus some tests check against. Its absence fails those tests loudly
/// rather than letting them pass without checking anything.
pub fn shared() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    assert!(
        p.join("reference").is_dir() && p.join("corpus").is_dir(),
        "{} (reference/ and corpus/) must be present to run this test",
        p.display()
    );
    p
}

/// Every file below `root` (relative paths, sorted), skipping `.flux-scaffold`.
pub fn tree(root: &Path) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, root, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    if root.is_dir() {
        walk(root, root, &mut out);
    }
    out.sort();
    out
}

/// A repository shaped like fluxcd/flux2-kustomize-helm-example: an
/// infrastructure folder with sources, nginx and redis.
pub fn flux2_example(root: &Path) {
    let w = |rel: &str, text: &str| write_file(root, rel, text);
    w(
        "infrastructure/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - sources\n  - nginx\n  - redis\n",
    );
    w(
        "infrastructure/sources/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - bitnami.yaml\n",
    );
    w(
        "infrastructure/sources/bitnami.yaml",
        "apiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: HelmRepository\nmetadata:\n  name: bitnami\n  namespace: flux-system\nspec:\n  interval: 30m\n  url: https://charts.bitnami.com/bitnami\n",
    );
    for app in ["nginx", "redis"] {
        w(
            &format!("infrastructure/{app}/kustomization.yaml"),
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: APP\nresources:\n  - namespace.yaml\n  - release.yaml\n"
                .replace("APP", app)
                .as_str(),
        );
        w(
            &format!("infrastructure/{app}/namespace.yaml"),
            &format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {app}\n"),
        );
        w(
            &format!("infrastructure/{app}/release.yaml"),
            &format!(
                "apiVersion: helm.toolkit.fluxcd.io/v2beta1\nkind: HelmRelease\nmetadata:\n  name: {app}\nspec:\n  interval: 5m\n  chart:\n    spec:\n      chart: {app}\n      sourceRef:\n        kind: HelmRepository\n        name: bitnami\n        namespace: flux-system\n"
            ),
        );
    }
    w(
        "apps/staging/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n",
    );
}

/// A pack in `dir` with one string question `name` (default `ok`), the
/// `files:` entries `files_yaml`, and the files `templates`.
pub fn hostile_pack(dir: &Path, files_yaml: &str, templates: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("pack.yaml"),
        format!("name: hostile\nversion: \"1\"\nquestions:\n  - key: name\n    prompt: Name?\n    type: string\n    default: ok\nfiles:\n{files_yaml}"),
    )
    .unwrap();
    for (rel, text) in templates {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// A [`hostile_pack`] that writes `x\n` to `path`.
pub fn one_file_pack(dir: &Path, path: &str) {
    hostile_pack(
        dir,
        &format!("  - template: t.txt\n    path: {path:?}\n"),
        &[("t.txt", "x\n")],
    );
}

/// `flux-scaffold init --no-input --pack PACK TARGET --set ...`, run.
pub fn run_pack(pack_dir: &Path, target: &Path, sets: &[&str]) -> std::process::Output {
    let mut c = bin();
    c.args(["init", "--no-input", "--pack"])
        .arg(pack_dir)
        .arg(target);
    for s in sets {
        c.arg("--set").arg(s);
    }
    c.output().unwrap()
}

/// Panics unless the run was refused as bad input (exit 2) with one line
/// that says `says`.
pub fn refused(out: &std::process::Output, says: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(says), "{says:?} in {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}

/// A FIFO at `path`.
pub fn mkfifo(path: &Path) {
    let st = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(st.success());
}
