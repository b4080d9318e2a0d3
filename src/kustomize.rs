//! Format-preserving edits of a user's kustomization file: add entries to
//! `resources` and change no other byte. Every edit is checked by parsing
//! the result; anything this cannot do exactly is refused with a reason.

use crate::escape;

mod remove;
#[cfg(test)]
mod tests;

pub use remove::remove_resources;

/// The file names kustomize accepts, in its order of preference.
pub const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// What patching a kustomization does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Patched {
    /// Every entry is already listed: the file stays as it is.
    Unchanged,
    /// The new bytes of the file.
    Changed(Vec<u8>),
}

/// A new kustomization listing `entries`.
pub fn new_kustomization(entries: &[String]) -> String {
    let mut out = String::from(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n",
    );
    let (paths, rest) = patches::split_entries(entries);
    for e in &rest {
        out.push_str("- ");
        out.push_str(&escape::yaml(e));
        out.push('\n');
    }
    if !paths.is_empty() {
        out.push_str("patches:\n");
        for p in &paths {
            out.push_str("- path: ");
            out.push_str(&escape::yaml(p));
            out.push('\n');
        }
    }
    out
}

/// A kustomization file as kustomize reads it: a byte-order mark, then the
/// first YAML document (what kustomize reads), then the rest (kept as is).
struct Document<'a> {
    bom: &'a [u8],
    /// Everything after the mark, to tell its line endings.
    whole: &'a str,
    text: &'a str,
    rest: &'a str,
}

impl<'a> Document<'a> {
    fn of(input: &'a [u8]) -> Result<Self, String> {
        let (bom, body) = match input.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) => (&input[..3], rest),
            None => (&input[..0], input),
        };
        let whole = std::str::from_utf8(body).map_err(|_| "it is not UTF-8 text".to_string())?;
        let (text, rest) = first_document(whole);
        Ok(Document {
            bom,
            whole,
            text,
            rest,
        })
    }

    /// The file's bytes with its first document replaced by `edited`.
    fn with(&self, edited: &str) -> Patched {
        let mut out = self.bom.to_vec();
        out.extend_from_slice(edited.as_bytes());
        out.extend_from_slice(self.rest.as_bytes());
        Patched::Changed(out)
    }
}

mod patches;

pub use patches::{PATCH_ENTRY, entry_path, patch_entries};

/// Ensure every entry is listed: in `resources`, or for a
/// [`PATCH_ENTRY`] one, in `patches`. `Err` holds the reason the file
/// cannot be edited safely; the caller leaves it as it was.
pub fn add_resources(input: &[u8], entries: &[String]) -> Result<Patched, String> {
    patches::edit_both(input, entries, add_plain, |i, p| patches::edit(i, p, false))
}

fn add_plain(input: &[u8], entries: &[String]) -> Result<Patched, String> {
    let doc = Document::of(input)?;
    let (whole, text) = (doc.whole, doc.text);
    let data = parse(text)?;
    if let Some(why) = not_a_kustomization(&data) {
        return Err(why);
    }
    let existing = listed_resources(&data)?;
    // Siblings that all start with `./` get a new entry in the same style.
    let dotted = !existing.is_empty() && existing.iter().all(|x| x.starts_with("./"));
    let missing: Vec<String> = entries
        .iter()
        .filter(|e| !existing.iter().any(|x| same_entry(x, e)))
        .map(
            |e| match dotted && !e.starts_with("./") && !e.contains("://") {
                true => format!("./{e}"),
                false => e.clone(),
            },
        )
        .collect();
    let missing: Vec<&String> = missing.iter().collect();
    if missing.is_empty() {
        return Ok(Patched::Unchanged);
    }
    let eol = if whole.contains("\r\n") { "\r\n" } else { "\n" };
    let edited = insert(text, &data, &missing, eol)?;
    let mut list = existing.clone();
    list.extend(missing.iter().map(|s| s.to_string()));
    verify(&data, list, &edited, "add an entry to")?;
    Ok(doc.with(&edited))
}

/// A kustomization file's data, refused when it does not parse or is not a
/// kustomize file (a Flux `Kustomization` object, say, under that name).
pub fn read_kustomization(input: &[u8]) -> Result<serde_yaml::Value, String> {
    let data = parse(Document::of(input)?.text)?;
    not_a_kustomization(&data).map_or(Ok(data), Err)
}

/// Why a parsed kustomization file is not one kustomize reads as such.
fn not_a_kustomization(data: &serde_yaml::Value) -> Option<String> {
    let api = data.get("apiVersion").and_then(|v| v.as_str());
    let kind = data.get("kind").and_then(|v| v.as_str());
    let foreign_api = api.is_some_and(|a| !a.starts_with("kustomize.config.k8s.io/"));
    let foreign_kind = kind.is_some_and(|k| k != "Kustomization" && k != "Component");
    (foreign_api || foreign_kind).then(|| {
        format!(
            "it is a {} ({}), not a kustomize file",
            kind.unwrap_or("object"),
            api.unwrap_or("no apiVersion")
        )
    })
}

/// The namespace a kustomization's `namespace:` field sets on everything it
/// builds, if any (None too when the file does not parse or uses a merge
/// key: [`add_resources`] then refuses it with the reason).
pub fn namespace_override(input: &[u8]) -> Option<String> {
    let data = parse(Document::of(input).ok()?.text).ok()?;
    data.get("namespace")?.as_str().map(str::to_string)
}

fn parse(text: &str) -> Result<serde_yaml::Value, String> {
    match serde_yaml::from_str::<serde_yaml::Value>(text) {
        // kustomize applies merge keys; this parser does not, so a
        // `namespace` or `resources` arriving through one would be missed.
        Ok(v) if v.as_mapping().is_some_and(|m| m.contains_key("<<")) => Err(
            "it uses a YAML merge key (<<) at its top level, which can bring in namespace or resources unseen; write those keys out"
                .into(),
        ),
        Ok(v) => Ok(v),
        Err(e) if e.to_string().contains("more than one document") => {
            Err("it holds more than one YAML document".into())
        }
        Err(e) => Err(duplicate_key_hint(&e.to_string())),
    }
}

/// The first YAML document of `text` and the rest: kustomize reads only the
/// first document of a kustomization file and ignores the others.
fn first_document(text: &str) -> (&str, &str) {
    let mut seen_content = false;
    for l in lines(text) {
        let marker = (l.text.starts_with("---") || l.text.starts_with("..."))
            && l.text[3..]
                .chars()
                .next()
                .is_none_or(|c| c == ' ' || c == '\t');
        if marker && seen_content {
            return text.split_at(l.start);
        }
        if !marker && !is_blank_or_comment(l.text) && !l.text.starts_with('%') {
            seen_content = true;
        }
    }
    (text, "")
}

/// Why a YAML parse failed, in kustomize's terms where they differ.
fn duplicate_key_hint(e: &str) -> String {
    if e.contains("duplicate entry") {
        let key = e
            .split("key ")
            .nth(1)
            .map(|k| k.split_whitespace().next().unwrap_or(k))
            .unwrap_or("a key");
        format!(
            "it sets {key} more than once; kustomize would silently use only the last one, so this tool does not guess: keep one"
        )
    } else {
        format!("it is not valid YAML ({e})")
    }
}

fn listed_resources(data: &serde_yaml::Value) -> Result<Vec<String>, String> {
    let map = match data {
        serde_yaml::Value::Null => return Ok(Vec::new()),
        serde_yaml::Value::Mapping(m) => m,
        _ => return Err("its top level is not a mapping".into()),
    };
    match map.get("resources") {
        None | Some(serde_yaml::Value::Null) => Ok(Vec::new()),
        Some(serde_yaml::Value::Sequence(items)) => items
            .iter()
            .map(|i| match i {
                serde_yaml::Value::String(s) => Ok(s.clone()),
                _ => Err("its resources list holds something other than strings".to_string()),
            })
            .collect(),
        Some(_) => Err("its resources is not a list".into()),
    }
}

pub fn same_entry(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.trim_start_matches("./").trim_end_matches('/').to_string();
    norm(a) == norm(b)
}

/// One line of the text: its start offset, its content without the line
/// ending, and the offset just past its line ending.
struct Line<'a> {
    start: usize,
    text: &'a str,
    end: usize,
}

fn lines(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let nl = text[start..].find('\n').map(|i| start + i);
        let (content_end, end) = match nl {
            Some(i) => (
                if i > start && text.as_bytes()[i - 1] == b'\r' {
                    i - 1
                } else {
                    i
                },
                i + 1,
            ),
            None => (text.len(), text.len()),
        };
        out.push(Line {
            start,
            text: &text[start..content_end],
            end,
        });
        start = end;
    }
    out
}

/// The indentation of a document's top-level keys.
fn top_indent(lines: &[Line<'_>]) -> usize {
    lines
        .iter()
        .find(|l| !is_blank_or_comment(l.text) && !is_marker(l.text))
        .map_or(0, |l| indent(l.text))
}

fn indent(s: &str) -> usize {
    s.len() - s.trim_start_matches(' ').len()
}

fn is_blank_or_comment(s: &str) -> bool {
    let t = s.trim_start();
    t.is_empty() || t.starts_with('#')
}

fn is_marker(s: &str) -> bool {
    s.starts_with("---") || s.starts_with("...") || s.starts_with('%')
}

fn is_seq_item(s: &str) -> bool {
    let t = s.trim_start_matches(' ');
    t == "-" || t.starts_with("- ")
}

/// The scalar of `entry` in the quoting style the list already uses.
fn styled_entry(entry: &str, existing_items: &[&str]) -> String {
    let all =
        |q: char| !existing_items.is_empty() && existing_items.iter().all(|i| i.starts_with(q));
    let plain = escape::yaml(entry);
    if all('"') && !plain.starts_with('"') {
        format!("\"{plain}\"")
    } else if all('\'') && !plain.starts_with('"') {
        format!("'{plain}'")
    } else {
        plain
    }
}

/// `eol` is the file's line ending (its first CRLF decides, in any document).
/// Where a document's top-level `resources` value is.
enum Located {
    /// No such key.
    Missing,
    /// A flow list whose `[` is at this offset.
    Flow { open: usize },
    /// A block list (or nothing yet) after the key on line `key`, whose
    /// colon ends at offset `colon`.
    Block { key: usize, colon: usize },
}

/// Find the `resources` value of `text`; `has_key` is whether the parsed
/// data holds the key (the two must agree, or the layout is refused).
fn locate<'a>(text: &'a str, has_key: bool) -> Result<(Vec<Line<'a>>, usize, Located), String> {
    let lines = lines(text);
    let top = top_indent(&lines);
    let key_lines: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| indent(l.text) == top && resources_key_rest(&l.text[top..]).is_some())
        .map(|(i, _)| i)
        .collect();
    let at = match (key_lines.as_slice(), has_key) {
        ([], false) => Located::Missing,
        ([i], true) => {
            let line = &lines[*i];
            let rest = resources_key_rest(&line.text[top..]).unwrap_or("");
            let colon = line.start + line.text.len() - rest.len();
            let value = strip_comment(rest).trim();
            if value.starts_with('[') {
                Located::Flow {
                    open: colon + rest.find('[').unwrap_or(0),
                }
            } else if value.is_empty() {
                Located::Block { key: *i, colon }
            } else {
                return Err(format!(
                    "its resources value '{value}' has a form this tool does not edit"
                ));
            }
        }
        _ => return Err("its resources key is not a plain top-level key".into()),
    };
    Ok((lines, top, at))
}

/// `eol` is the file's line ending (its first CRLF decides, in any document).
fn insert(
    text: &str,
    data: &serde_yaml::Value,
    missing: &[&String],
    eol: &str,
) -> Result<String, String> {
    let has_key = matches!(data, serde_yaml::Value::Mapping(m) if m.contains_key("resources"));
    let (lines, top, at) = locate(text, has_key)?;
    match at {
        Located::Missing => {
            let items: Vec<String> = missing.iter().map(|e| escape::yaml(e)).collect();
            Ok(append_key(text, &lines, top, eol, "resources", &items))
        }
        Located::Flow { open } => insert_flow(text, open, missing),
        Located::Block { key, .. } => Ok(insert_block(text, &lines, key, top, eol, missing)),
    }
}

/// The offsets of a flow list's `[`, its top-level commas and its `]`;
/// refused when it nests collections, holds a comment or is not closed.
fn flow_list(text: &str, open: usize) -> Result<Vec<usize>, String> {
    let bytes = text.as_bytes();
    let (mut in_single, mut in_double) = (false, false);
    let mut seps = vec![open];
    let mut i = open + 1;
    loop {
        let Some(&b) = bytes.get(i) else {
            return Err("its resources flow list is not closed".into());
        };
        match b {
            b'\\' if in_double => i += 1,
            b'\'' if !in_double => in_single = !in_single,
            b'"' if !in_single => in_double = !in_double,
            b'[' | b'{' | b'#' if !in_single && !in_double => {
                return Err("its resources flow list holds nested collections or comments".into());
            }
            b',' if !in_single && !in_double => seps.push(i),
            b']' if !in_single && !in_double => {
                seps.push(i);
                return Ok(seps);
            }
            _ => {}
        }
        i += 1;
    }
}

/// The text after `resources:` when `s` starts with that key.
fn resources_key_rest(s: &str) -> Option<&str> {
    for key in ["resources", "\"resources\"", "'resources'"] {
        if let Some(rest) = s.strip_prefix(key) {
            let rest = rest.trim_start_matches(' ');
            if let Some(after) = rest.strip_prefix(':')
                && (after.is_empty() || after.starts_with([' ', '\t']))
            {
                return Some(after);
            }
        }
    }
    None
}

fn strip_comment(s: &str) -> &str {
    let t = s.trim_start();
    if t.starts_with('#') {
        return "";
    }
    // A comment starts at " #" outside quotes; flow lists of names rarely hold one.
    let mut in_single = false;
    let mut in_double = false;
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\'' if !in_double => in_single = !in_single,
            b'"' if !in_single => in_double = !in_double,
            b'#' if !in_single && !in_double && i > 0 && matches!(bytes[i - 1], b' ' | b'\t') => {
                return &s[..i];
            }
            _ => {}
        }
    }
    s
}

/// The sequence indentation the file already uses for block lists under
/// top-level keys: 0 (flush) unless it indents them.
fn seq_offset(lines: &[Line<'_>], top: usize) -> usize {
    for (i, l) in lines.iter().enumerate() {
        if indent(l.text) == top
            && !is_blank_or_comment(l.text)
            && l.text.trim_end().ends_with(':')
            && let Some(next) = lines[i + 1..].iter().find(|n| !is_blank_or_comment(n.text))
            && is_seq_item(next.text)
            && indent(next.text) >= top
        {
            return indent(next.text) - top;
        }
    }
    0
}

/// `text` with a new top-level `key:` holding the block list `items`
/// (each an item's text after `- `).
fn append_key(
    text: &str,
    lines: &[Line<'_>],
    top: usize,
    eol: &str,
    key: &str,
    items: &[String],
) -> String {
    let pad = " ".repeat(top);
    let item_pad = " ".repeat(top + seq_offset(lines, top));
    // Before a closing `...` document end marker, else at the very end.
    let end_marker = lines
        .iter()
        .rposition(|l| !is_blank_or_comment(l.text))
        .filter(|&i| lines[i].text.trim_end() == "...");
    let (head, tail) = match end_marker {
        Some(i) => text.split_at(lines[i].start),
        None => (text, ""),
    };
    let mut add = String::new();
    let ends_open = !head.is_empty() && !head.ends_with('\n');
    if ends_open {
        add.push_str(eol);
    }
    add.push_str(&format!("{pad}{key}:"));
    for e in items {
        add.push_str(eol);
        add.push_str(&format!("{item_pad}- {e}"));
    }
    if !ends_open {
        add.push_str(eol);
    }
    format!("{head}{add}{tail}")
}

fn insert_block(
    text: &str,
    lines: &[Line<'_>],
    key: usize,
    top: usize,
    eol: &str,
    missing: &[&String],
) -> String {
    let first = lines[key + 1..]
        .iter()
        .position(|l| !is_blank_or_comment(l.text))
        .map(|p| key + 1 + p);
    let seq_indent = match first {
        Some(i) if is_seq_item(lines[i].text) && indent(lines[i].text) >= top => {
            Some(indent(lines[i].text))
        }
        _ => None,
    };
    let (after, item_indent, items) = match seq_indent {
        None => (key, top + seq_offset(lines, top), Vec::new()),
        Some(si) => {
            let mut last = key;
            let mut items = Vec::new();
            for (i, l) in lines.iter().enumerate().skip(key + 1) {
                if is_blank_or_comment(l.text) {
                    continue;
                }
                let ind = indent(l.text);
                if ind == si && is_seq_item(l.text) {
                    items.push(l.text[ind + 1..].trim_start());
                    last = i;
                } else if ind > si {
                    last = i;
                } else {
                    break;
                }
            }
            (last, si, items)
        }
    };
    let line = &lines[after];
    let pad = " ".repeat(item_indent);
    let mut add = String::new();
    let open = line.end == line.start + line.text.len();
    for (n, e) in missing.iter().enumerate() {
        if open || n > 0 {
            add.push_str(eol);
        }
        add.push_str(&format!("{pad}- {}", styled_entry(e, &items)));
        if !open && n + 1 == missing.len() {
            add.push_str(eol);
        }
    }
    let at = line.end;
    format!("{}{add}{}", &text[..at], &text[at..])
}

fn insert_flow(text: &str, open: usize, missing: &[&String]) -> Result<String, String> {
    let close = *flow_list(text, open)?.last().unwrap_or(&open);
    let inner = &text[open + 1..close];
    let last = inner.trim_end();
    let at = open + 1 + last.len();
    let items: Vec<String> = missing.iter().map(|e| escape::yaml(e)).collect();
    let joined = items.join(", ");
    let add = if last.trim().is_empty() {
        joined
    } else if last.ends_with(',') {
        format!(" {joined}")
    } else {
        format!(", {joined}")
    };
    Ok(format!("{}{add}{}", &text[..at], &text[at..]))
}

/// `edited` must read as `before` with `resources` set to `list` and
/// nothing else changed; `what` says which edit, for the refusal.
fn verify(
    before: &serde_yaml::Value,
    list: Vec<String>,
    edited: &str,
    what: &str,
) -> Result<(), String> {
    let after = parse(edited).map_err(|e| format!("the edited file would not parse: {e}"))?;
    let mut expected = match before {
        serde_yaml::Value::Mapping(m) => m.clone(),
        _ => serde_yaml::Mapping::new(),
    };
    let list = list.into_iter().map(serde_yaml::Value::from).collect();
    expected.insert("resources".into(), serde_yaml::Value::Sequence(list));
    if after != serde_yaml::Value::Mapping(expected) {
        return Err(format!(
            "its layout is one this tool cannot {what} without changing other content"
        ));
    }
    Ok(())
}
