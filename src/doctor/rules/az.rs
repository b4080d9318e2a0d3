//! az values as the az CLI reads them: `depends_on` names it cannot match
//! (FS010), `prune` as a string (FS011), the help's `disable_health_check`
//! (FS012), durations outside the `XhYmZs` form (FS013).

use std::sync::LazyLock;

use super::Ctx;
use crate::doctor::report::{Finding, Severity};
use crate::doctor::scan::{self, AzValue, DEPENDS_KEYS};

/// Keys and options az reads as durations.
const DURATION_KEYS: [&str; 8] = [
    "sync_interval",
    "syncInterval",
    "retry_interval",
    "retryInterval",
    "timeout",
    "--interval",
    "--timeout",
    "--sync-interval",
];

impl Ctx<'_> {
    // FS010, FS011, FS012, FS013
    pub(super) fn az(&mut self) {
        let facts = self.facts;
        for v in &facts.az_values {
            let w = &v.word;
            let value = w.value.split_once('=').map_or(w.value.as_str(), |(_, v)| v);
            let key = v.key.as_str();
            if DEPENDS_KEYS.contains(&key) {
                self.depends_on_as_written(v, value);
            } else if key == "prune" && !value.eq_ignore_ascii_case("true") && !value.is_empty() {
                self.out.push(prune_as_string(v, value));
            } else if key == "disable_health_check" {
                self.out.push(health_check_key(v, value));
            } else if DURATION_KEYS.contains(&key) && !canonical(value) {
                self.out.push(duration_form(v, key, value));
            }
        }
    }

    // FS010: depends_on names with quotes or brackets, as az reads them.
    fn depends_on_as_written(&mut self, v: &AzValue, value: &str) {
        let w = &v.word;
        let read = scan::depends_on_as_read(value);
        let broken: Vec<&String> = read
            .iter()
            .filter(|n| n.contains(['"', '\'', ' ', '[', ']', '\\']))
            .collect();
        let fragile = w.raw.contains(['"', '\'', '[', ']', '\\', ' ']);
        let finding = |message: String| Finding::new("FS010", &v.file, w.line, message);
        if !broken.is_empty() {
            self.out.push(
                finding(format!(
                    "{} reaches az as {value:?}: az strips one [ and ] and splits on commas, so the dependency is named {:?} and matches no kustomization",
                    w.raw, broken[0]
                ))
                .severity(Severity::Error)
                .fix(format!("write depends_on={} (comma-separated, no brackets, quotes or spaces)", clean_names(&read))),
            );
        } else if fragile {
            self.out.push(
                finding(format!(
                    "{} works only because this shell strips the quotes and az strips the brackets; quoted differently (PowerShell, a variable, a CI step) the quotes reach az and name no kustomization",
                    w.raw
                ))
                .fix(format!("write depends_on={}", clean_names(&read))),
            );
        }
    }
}

// FS011
fn prune_as_string(v: &AzValue, value: &str) -> Finding {
    Finding::new(
        "FS011",
        &v.file,
        v.word.line,
        format!("prune={value} is sent as \"prune\": true (az passes the string on, and any non-empty string is true)"),
    )
    .fix("leave prune out to keep the default (false); write prune=true only when pruning is wanted")
}

// FS012
fn health_check_key(v: &AzValue, value: &str) -> Finding {
    Finding::new(
        "FS012",
        &v.file,
        v.word.line,
        "disable_health_check (the help's spelling) is ignored by az: the key it reads is disable-health-check".into(),
    )
    .fix(format!("write disable-health-check={value}"))
}

// FS013
fn duration_form(v: &AzValue, key: &str, value: &str) -> Finding {
    let secs = az_seconds(value);
    Finding::new(
        "FS013",
        &v.file,
        v.word.line,
        format!("{key} {value} is not in the XhYmZs form: az reads it as {secs} s, with no error"),
    )
    .fix("write whole seconds in the XhYmZs form (10m, 1h30m, 90s)")
}

fn clean_names(names: &[String]) -> String {
    names
        .iter()
        .map(|n| n.trim_matches(|c: char| "\"' []\\".contains(c)))
        .collect::<Vec<_>>()
        .join(",")
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
}
