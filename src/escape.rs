//! Quoting of answer values for each output language.
//!
//! Every value that reaches a generated file goes through one of these
//! functions, so that no answer can add structure to the document: the
//! output parses back to exactly the input string.

/// The languages a template can be written in, chosen by the output file's
/// extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Yaml,
    Bicep,
    Hcl,
    Shell,
    /// Markdown and other prose: values are written as they are.
    Text,
}

impl Lang {
    /// The language of a file, from its name.
    pub fn of_path(path: &str) -> Lang {
        let name = path.rsplit('/').next().unwrap_or(path);
        let name = name.strip_suffix(".tera").unwrap_or(name);
        match name.rsplit_once('.').map(|(_, ext)| ext) {
            Some("yaml" | "yml") => Lang::Yaml,
            Some("bicep" | "bicepparam") => Lang::Bicep,
            Some("tf" | "hcl" | "tfvars") => Lang::Hcl,
            Some("sh" | "bash") => Lang::Shell,
            _ if name == "Kustomization" => Lang::Yaml,
            _ => Lang::Text,
        }
    }

    /// Quote a string for this language.
    pub fn quote(self, s: &str) -> String {
        match self {
            Lang::Yaml => yaml(s),
            Lang::Bicep => bicep(s),
            Lang::Hcl => hcl(s),
            Lang::Shell => shell(s),
            Lang::Text => s.to_string(),
        }
    }
}

/// A YAML scalar that reads back as the string `s`: plain where that is
/// unambiguous, double-quoted otherwise.
pub fn yaml(s: &str) -> String {
    if yaml_plain_ok(s) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            // C1 controls, and characters YAML readers treat as breaks,
            // spaces or marks: escaped so they survive exactly.
            c if c.is_control()
                || matches!(
                    c,
                    '\u{a0}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                ) =>
            {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn yaml_plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let relative_path = s.starts_with("./") || s.starts_with("../");
    if !first.is_ascii_alphabetic() && !relative_path && !is_go_duration(s) {
        return false;
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-' | ':' | '@'))
    {
        return false;
    }
    if s.ends_with(':') || s.contains(": ") {
        return false;
    }
    // Words that YAML 1.1 or 1.2 resolve to booleans or null.
    const SPECIAL: &[&str] = &["y", "yes", "n", "no", "true", "false", "on", "off", "null"];
    !SPECIAL.contains(&s.to_ascii_lowercase().as_str())
}

/// `10m`, `1h30m`: digits and units only, which YAML reads as a string.
fn is_go_duration(s: &str) -> bool {
    let mut saw_unit = false;
    let mut prev_digit = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            prev_digit = true;
        } else if matches!(c, 'h' | 'm' | 's') && (prev_digit || c == 's') {
            saw_unit = true;
            prev_digit = false;
        } else {
            return false;
        }
    }
    saw_unit && !prev_digit
}

/// A Bicep single-quoted string literal.
pub fn bicep(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    // Whether the next character starts a new token for tree-sitter-bicep
    // (the literal's start, after an escape, after a lone `#` or `$`).
    let mut boundary = true;
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if next == Some('{') => out.push_str("\\$"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            // The same string to Bicep, but tree-sitter-bicep (editors,
            // linters) skips blanks and reads `//` or `/*` as a comment where
            // a token starts inside a string: escape the character that would.
            c if boundary && opens_comment(&chars[i..]) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            '#' | '$' if boundary => {
                out.push(c);
                continue;
            }
            c => {
                out.push(c);
                boundary = false;
                continue;
            }
        }
        boundary = true;
    }
    out.push('\'');
    out
}

/// Whether `rest`, after blanks, starts a `//` or `/*` comment.
fn opens_comment(rest: &[char]) -> bool {
    let start = rest
        .iter()
        .position(|c| !c.is_whitespace())
        .unwrap_or(rest.len());
    matches!(rest[start..], ['/', '/' | '*', ..])
}

/// An HCL (Terraform) double-quoted string literal.
pub fn hcl(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A POSIX shell word: bare where every character is inert, single-quoted
/// otherwise.
pub fn shell(s: &str) -> String {
    if !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-' | ':' | '@' | ',' | '=')
        })
    {
        return s.to_string();
    }
    if s.chars().any(needs_ansi_c) {
        return ansi_c(s);
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A character a plain single-quoted word would carry as is but a reader
/// must not: a newline (one command would print as two lines, and a step
/// listed line by line would run as two), other control characters (an
/// escape sequence that rewrites the screen) and the invisible marks that
/// reorder or hide text (bidirectional overrides and isolates).
pub fn needs_ansi_c(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// bash's ANSI-C quoting (`$'...'`): the same string, on one line, with
/// every such character written as an escape. The generated scripts run
/// under bash (`#!/usr/bin/env bash`).
fn ansi_c(s: &str) -> String {
    let mut out = String::from("$'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x80 && needs_ansi_c(c) => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if needs_ansi_c(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_plain_and_quoted() {
        assert_eq!(yaml("flux-system"), "flux-system");
        assert_eq!(yaml("yes"), "\"yes\"");
        assert_eq!(yaml("600"), "\"600\"");
        assert_eq!(yaml("10m"), "10m");
        assert_eq!(yaml("./apps"), "./apps");
        assert_eq!(yaml(".inf"), "\".inf\"");
        assert_eq!(yaml("1e3"), "\"1e3\"");
        assert_eq!(yaml("a: b"), "\"a: b\"");
        assert_eq!(yaml("a\"b\n"), "\"a\\\"b\\n\"");
    }

    #[test]
    fn shell_words() {
        assert_eq!(shell("prereqs"), "prereqs");
        assert_eq!(shell("it's"), r"'it'\''s'");
        assert_eq!(shell(""), "''");
        assert_eq!(shell("a\nb"), r"$'a\nb'");
        assert_eq!(shell("it's\x1b[2K"), r"$'it\'s\x1b[2K'");
        assert_eq!(shell("\u{202e}x"), r"$'\u202ex'");
    }

    /// What bash makes of every quoted word is the string itself, on one line.
    #[test]
    fn bash_reads_every_quoted_word_back() {
        for s in [
            "a\nb $(touch /x) '",
            "tab\there",
            "esc\x1b[1A",
            "\u{202e}rtl",
            "back\\slash'q\"",
            "\x7f",
        ] {
            let q = shell(s);
            assert!(!q.contains('\n'), "{q}");
            let out = std::process::Command::new("bash")
                .arg("-c")
                .arg(format!("printf %s {q}"))
                .output()
                .expect("bash runs");
            assert_eq!(String::from_utf8_lossy(&out.stdout), s, "{q}");
        }
    }

    #[test]
    fn bicep_and_hcl_interpolation_is_inert() {
        assert_eq!(bicep("${x}'"), r"'\${x}\''");
        assert_eq!(hcl("${x}%{y}"), "\"$${x}%%{y}\"");
        assert_eq!(bicep("//a"), r"'\u{2f}/a'");
        assert_eq!(bicep("#//"), r"'#\u{2f}/'");
        assert_eq!(bicep(" /*"), r"'\u{20}\u{2f}*'");
        assert_eq!(bicep("https://x"), "'https://x'");
    }
}
