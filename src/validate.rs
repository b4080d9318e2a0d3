//! Validation of single answer values by question type. Each function
//! returns the reason a value is refused, worded to follow "must".

use crate::pack::{Question, QuestionType};

/// Check one scalar value against its question. `Err` holds the reason.
pub fn check_scalar(q: &Question, value: &str) -> Result<(), String> {
    if value.chars().any(|c| c.is_control()) && q.kind != QuestionType::String {
        return Err("must not contain control characters such as newlines".into());
    }
    match q.kind {
        QuestionType::String => Ok(()),
        QuestionType::Bool | QuestionType::Int => Ok(()),
        QuestionType::Choice | QuestionType::MultiChoice => {
            if q.choices.iter().any(|c| c == value) {
                Ok(())
            } else {
                let hint = crate::suggest::closest(value, q.choices.iter().map(String::as_str))
                    .map(|c| format!(" (did you mean '{c}'?)"))
                    .unwrap_or_default();
                Err(format!("must be one of: {}{hint}", q.choices.join(", ")))
            }
        }
        QuestionType::Duration => duration(value),
        QuestionType::K8sName => k8s_name(value, q.max_length.unwrap_or(63)),
        QuestionType::LabelKey => label_key(value),
        QuestionType::LabelValue => label_value(value),
        QuestionType::Url => url(value),
        QuestionType::Path => path(value),
        QuestionType::GitRef => git_ref(value).map(|_| ()),
        QuestionType::ResourceGroup => resource_group(value),
    }?;
    if let Some(max) = q.max_length
        && value.chars().count() > max
    {
        return Err(format!("must be at most {max} characters"));
    }
    Ok(())
}

/// An RFC 1123 DNS label (or subdomain when `max` exceeds 63).
pub fn k8s_name(v: &str, max: usize) -> Result<(), String> {
    let shape = if max > 63 {
        "lower-case letters, digits, '-' and '.', starting and ending with a letter or digit"
    } else {
        "lower-case letters, digits and '-', starting and ending with a letter or digit"
    };
    let ok_char = |c: char| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || (max > 63 && c == '.')
    };
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if v.is_empty()
        || !v.chars().all(ok_char)
        || !alnum(v.chars().next())
        || !alnum(v.chars().last())
    {
        return Err(format!("must be {shape} (RFC 1123)"));
    }
    if v.len() > max {
        return Err(format!(
            "must be at most {max} characters (it has {})",
            v.len()
        ));
    }
    Ok(())
}

fn label_name(v: &str) -> bool {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    !v.is_empty()
        && v.len() <= 63
        && alnum(v.chars().next())
        && alnum(v.chars().last())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// An Azure resource group name: 1 to 90 letters, digits, '_', '-', '.',
/// '(' and ')', not ending in '.'.
pub fn resource_group(v: &str) -> Result<(), String> {
    let ok = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '(' | ')');
    if v.is_empty() || v.chars().count() > 90 || !v.chars().all(ok) || v.ends_with('.') {
        return Err("must be a resource group name: 1 to 90 letters, digits, '_', '-', '.', '(' or ')', not ending in '.'".into());
    }
    Ok(())
}

/// A label key: an optional DNS-subdomain prefix and '/', then a name of at most 63.
pub fn label_key(v: &str) -> Result<(), String> {
    let (prefix, name) = match v.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, v),
    };
    if let Some(p) = prefix
        && k8s_name(p, 253).is_err()
    {
        return Err(
            "must have a DNS subdomain prefix before '/' (e.g. app.kubernetes.io/name)".into(),
        );
    }
    if !label_name(name) {
        return Err("must be a label name: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit".into());
    }
    Ok(())
}

/// A label value: empty, or a label name.
pub fn label_value(v: &str) -> Result<(), String> {
    if v.is_empty() || label_name(v) {
        Ok(())
    } else {
        Err("must be a label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit".into())
    }
}

/// The longest interval azurerm accepts for a flux configuration
/// (`IntBetween(1, 35791394)` seconds); Bicep and az get the same bound.
pub const MAX_DURATION_SECONDS: i64 = 35_791_394;

/// A Go duration such as `10m` or `1h2m5s` of a whole number of seconds
/// from 1 to [`MAX_DURATION_SECONDS`].
pub fn duration(v: &str) -> Result<(), String> {
    let ms = duration_millis(v).ok_or_else(|| {
        "must be a duration such as 30s, 10m or 1h30m (units h, m, s, ms)".to_string()
    })?;
    if ms % 1000 != 0 {
        return Err(format!(
            "must be a whole number of seconds (it is {ms} ms): Bicep, Terraform and az take seconds"
        ));
    }
    let secs = ms / 1000;
    if !(1..=MAX_DURATION_SECONDS).contains(&secs) {
        return Err(format!(
            "must be from 1s to {} ({MAX_DURATION_SECONDS} s, azurerm's limit); it is {secs} s",
            canonical_duration(MAX_DURATION_SECONDS)
        ));
    }
    Ok(())
}

/// Milliseconds in a Go duration made of `<digits><h|m|s|ms>` parts, or
/// None when it is not one (or overflows).
fn duration_millis(v: &str) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    let mut rest = v;
    let mut total: i64 = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let num: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let (unit, factor) = [("ms", 1), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
            .into_iter()
            .find(|(u, _)| rest.starts_with(u))?;
        rest = &rest[unit.len()..];
        total = total.checked_add(num.checked_mul(factor)?)?;
    }
    Some(total)
}

/// Seconds in a duration already checked by [`duration`].
pub fn duration_seconds(v: &str) -> i64 {
    duration_millis(v).unwrap_or(0) / 1000
}

/// The canonical `XhYmZs` form of a number of seconds, zero parts left
/// out (`90` is `1m30s`, `600` is `10m`): the one form the az CLI, which
/// reads `((\d+?)h)?((\d+?)m)?((\d+?)s)?` from the start, reads as the
/// same number of seconds as Bicep and Terraform get.
pub fn canonical_duration(secs: i64) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let mut out = String::new();
    for (n, unit) in [(h, 'h'), (m, 'm'), (s, 's')] {
        if n > 0 {
            out.push_str(&n.to_string());
            out.push(unit);
        }
    }
    if out.is_empty() {
        out.push_str("0s");
    }
    out
}

/// A Git repository URL that Flux accepts: http(s)://, ssh:// or git@host:path.
pub fn url(v: &str) -> Result<(), String> {
    let err = || {
        Err("must be a Git URL starting with https://, http://, ssh:// or git@ (e.g. https://github.com/org/repo)".to_string())
    };
    if v.chars().any(|c| {
        c.is_whitespace()
            || c.is_control()
            || matches!(c, '"' | '\'' | '`' | '<' | '>' | '\\' | '{' | '}')
    }) {
        return Err("must not contain spaces, quotes, braces or backslashes".into());
    }
    let rest = ["https://", "http://", "ssh://"]
        .iter()
        .find_map(|p| v.strip_prefix(p));
    match rest {
        Some(r) => {
            let host = r.split(['/', '?', '#']).next().unwrap_or("");
            let host = host.rsplit('@').next().unwrap_or("");
            if host.is_empty() || host.starts_with(':') {
                return err();
            }
            Ok(())
        }
        None => match v.strip_prefix("git@").and_then(|r| r.split_once(':')) {
            Some((host, path)) if !host.is_empty() && !path.is_empty() => Ok(()),
            _ => err(),
        },
    }
}

/// A path relative to the target folder that stays inside it.
pub fn path(v: &str) -> Result<(), String> {
    if v.starts_with('/') || v.starts_with('\\') {
        return Err("must be relative to the repository root, not absolute".into());
    }
    let trimmed = v.strip_prefix("./").unwrap_or(v).trim_end_matches('/');
    if trimmed.is_empty() {
        return Err("must name a folder inside the repository".into());
    }
    if !trimmed
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
    {
        return Err("must use only letters, digits, '.', '_', '-' and '/'".into());
    }
    if trimmed
        .split('/')
        .any(|p| p == ".." || p == "." || p.is_empty())
    {
        return Err("must stay inside the repository (no '..', '.' or empty parts)".into());
    }
    if trimmed.split('/').any(is_reserved) {
        return Err("must not point into .git or .flux-scaffold".into());
    }
    crate::tree::check_output(trimmed).map_err(|why| format!("must be a plain path: it {why}"))
}

/// Folder names no answer and no pack may write into: Git's, and the
/// tool's own state, in any case.
pub fn is_reserved(part: &str) -> bool {
    crate::tree::is_reserved(part)
}

/// The canonical form of a path answer: no leading `./`, no trailing `/`.
pub fn normalize_path(v: &str) -> String {
    v.strip_prefix("./")
        .unwrap_or(v)
        .trim_end_matches('/')
        .to_string()
}

/// Git's rules for a branch or tag name (`git check-ref-format --branch`,
/// refs.c `check_refname_component`). Every other character is allowed:
/// quotes, `$` and braces reach each output through its language's quoting.
fn git_ref_name(v: &str) -> Result<(), &'static str> {
    if v.chars()
        .any(|c| c.is_control() || matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\'))
    {
        return Err("no spaces, control characters, '~', '^', ':', '?', '*', '[' or '\\'");
    }
    if v.contains("..") || v.contains("@{") {
        return Err("no '..' or '@{'");
    }
    if v.starts_with('-') {
        return Err("not starting with '-'");
    }
    if v == "HEAD" {
        return Err("not 'HEAD'");
    }
    if v.ends_with('.') {
        return Err("not ending with '.'");
    }
    if v.split('/')
        .any(|p| p.is_empty() || p.starts_with('.') || p.ends_with(".lock"))
    {
        return Err("no empty '/'-separated part, none starting with '.' or ending with '.lock'");
    }
    Ok(())
}

/// A Git reference `branch:NAME`, `tag:NAME`, `semver:RANGE` or
/// `commit:SHA`; a bare value is a branch. Returns (kind, value).
pub fn git_ref(v: &str) -> Result<(&'static str, &str), String> {
    let (kind, value) = match v.split_once(':') {
        Some(("branch", r)) => ("branch", r),
        Some(("tag", r)) => ("tag", r),
        Some(("semver", r)) => ("semver", r),
        Some(("commit", r)) => ("commit", r),
        Some((other, _)) if !other.contains('/') => {
            return Err(format!(
                "must be branch:NAME, tag:NAME, semver:RANGE or commit:SHA ('{other}' is not one of them)"
            ));
        }
        _ => ("branch", v),
    };
    if value.is_empty() {
        return Err(format!("must name the {kind} after '{kind}:'"));
    }
    match kind {
        "commit" => {
            if !(value.len() == 40 || value.len() == 64)
                || !value.chars().all(|c| c.is_ascii_hexdigit())
            {
                return Err("must give a full commit SHA (40 hexadecimal digits)".into());
            }
        }
        "semver" => {
            if value
                .chars()
                .any(|c| c.is_control() || matches!(c, '"' | '\'' | '`' | '\\' | '$'))
            {
                return Err("must be a semver range such as '>=1.0.0 <2.0.0'".into());
            }
        }
        _ => {
            if let Err(why) = git_ref_name(value) {
                return Err(format!("must be a valid Git {kind} name: {why}"));
            }
        }
    }
    Ok((kind, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(k8s_name("flux-system", 63).is_ok());
        assert!(k8s_name("Flux", 63).is_err());
        assert!(k8s_name("-a", 63).is_err());
        assert!(k8s_name(&"a".repeat(64), 63).is_err());
        assert!(k8s_name("a.b", 253).is_ok());
    }

    #[test]
    fn resource_groups() {
        assert!(resource_group("rg-prod_(eu).1").is_ok());
        assert!(resource_group("rg.").is_err());
        assert!(resource_group("rg prod").is_err());
        assert!(resource_group(&"r".repeat(91)).is_err());
    }

    #[test]
    fn labels() {
        assert!(label_key("app.kubernetes.io/name").is_ok());
        assert!(label_key("app.kubernetes.io/").is_err());
        assert!(label_value("microsoft.flux").is_ok());
        assert!(label_value("a b").is_err());
    }

    #[test]
    fn durations() {
        assert!(duration("10m").is_ok());
        assert!(duration("1h2m5s").is_ok());
        assert!(duration("10").is_err());
        assert_eq!(duration_seconds("1h2m5s"), 3725);
        assert_eq!(duration_seconds("30s1m"), 90);
        assert!(duration("500ms").is_err(), "under a second");
        assert!(duration("1500ms").is_err(), "not whole seconds");
        assert!(duration("2000ms").is_ok());
        assert!(duration("0s").is_err());
        assert!(duration("35791394s").is_ok());
        assert!(duration("35791395s").is_err());
        assert!(duration("99999999999999999999h").is_err());
        assert_eq!(canonical_duration(90), "1m30s");
        assert_eq!(canonical_duration(600), "10m");
        assert_eq!(canonical_duration(7200), "2h");
        assert_eq!(canonical_duration(3725), "1h2m5s");
    }

    #[test]
    fn paths() {
        assert!(path("apps/staging").is_ok());
        assert!(path("../x").is_err());
        assert!(path("/abs").is_err());
        assert!(path("a/../../b").is_err());
        assert_eq!(normalize_path("./infra/"), "infra");
    }

    #[test]
    fn urls_and_refs() {
        assert!(url("https://github.com/org/repo").is_ok());
        assert!(url("git@github.com:org/repo.git").is_ok());
        assert!(url("ftp://x").is_err());
        assert_eq!(git_ref("main").unwrap(), ("branch", "main"));
        assert_eq!(git_ref("tag:v1.0").unwrap(), ("tag", "v1.0"));
        assert!(git_ref("commit:abc").is_err());
        assert!(git_ref("nope:x").is_err());
        assert_eq!(git_ref("branch:it's").unwrap(), ("branch", "it's"));
        for bad in [
            "a..b", "a@{1}", "-x", "a/", "a.lock", ".a", "a//b", "a b", "HEAD",
        ] {
            assert!(git_ref(bad).is_err(), "{bad}");
        }
    }
}
