//! `patches:` entries of a user's kustomization (strategic-merge patch
//! files, `- path: FILE`), added and removed with no other byte changed and
//! checked by re-parsing, like `resources` entries. The planner records
//! them beside `resources` entries under the [`super::PATCH_ENTRY`] prefix.

use serde_yaml::{Mapping, Value};

use super::{Document, Patched, not_a_kustomization};
use super::{
    Line, append_key, escape, indent, is_blank_or_comment, is_marker, is_seq_item, lines, parse,
    same_entry, seq_offset, strip_comment, top_indent,
};

/// The `path`s listed in `patches`, and whether the list is one this edits.
fn listed(data: &Value) -> Result<Vec<Value>, String> {
    match data.get("patches") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Sequence(items)) => Ok(items.clone()),
        Some(_) => Err("its patches is not a list".into()),
    }
}

fn path_of(item: &Value) -> Option<&str> {
    item.get("path").and_then(Value::as_str)
}

fn entry(path: &str) -> Value {
    let mut m = Mapping::new();
    m.insert("path".into(), path.into());
    Value::Mapping(m)
}

/// The line of the top-level `patches:` key, if any.
fn key_line(lines: &[Line<'_>], top: usize) -> Result<Option<usize>, String> {
    let found: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| indent(l.text) == top && key_rest(&l.text[top..]).is_some())
        .map(|(i, _)| i)
        .collect();
    match found.as_slice() {
        [] => Ok(None),
        [i] => Ok(Some(*i)),
        _ => Err("its patches key is not a plain top-level key".into()),
    }
}

fn key_rest(s: &str) -> Option<&str> {
    for key in ["patches", "\"patches\"", "'patches'"] {
        if let Some(after) = s
            .strip_prefix(key)
            .map(|r| r.trim_start_matches(' '))
            .and_then(|r| r.strip_prefix(':'))
            && (after.is_empty() || after.starts_with([' ', '\t']))
        {
            return Some(after);
        }
    }
    None
}

/// The lines of the block list under the key at `key`: (first, last) line
/// indexes of its items' text, None when it has none.
fn block(lines: &[Line<'_>], key: usize, top: usize) -> Option<(usize, usize)> {
    let mut first = None;
    let mut last = None;
    for (i, l) in lines.iter().enumerate().skip(key + 1) {
        if is_blank_or_comment(l.text) {
            continue;
        }
        let ind = indent(l.text);
        if ind > top || (ind == top && is_seq_item(l.text) && !is_marker(l.text)) {
            first.get_or_insert(i);
            last = Some(i);
        } else {
            break;
        }
    }
    Some((first?, last?))
}

/// `text` with `paths` added to `patches` (None: all are listed already).
pub(super) fn add(
    text: &str,
    data: &Value,
    paths: &[&String],
    eol: &str,
) -> Result<Option<String>, String> {
    let items = listed(data)?;
    let missing: Vec<&String> = paths
        .iter()
        .copied()
        .filter(|p| {
            !items
                .iter()
                .any(|i| path_of(i).is_some_and(|x| same_entry(x, p)))
        })
        .collect();
    if missing.is_empty() {
        return Ok(None);
    }
    let lines = lines(text);
    let top = top_indent(&lines);
    let key = key_line(&lines, top)?;
    if key.is_some() != data.get("patches").is_some() {
        return Err("its patches key is not a plain top-level key".into());
    }
    let edited = match key {
        None => {
            let items: Vec<String> = missing
                .iter()
                .map(|p| format!("path: {}", escape::yaml(p)))
                .collect();
            append_key(text, &lines, top, eol, "patches", &items)
        }
        Some(k) => {
            let value = strip_comment(key_rest(&lines[k].text[top..]).unwrap_or("")).trim();
            if !value.is_empty() {
                return Err(format!(
                    "its patches value '{value}' has a form this tool does not edit"
                ));
            }
            let (at, pad) = match block(&lines, k, top) {
                Some((first, last)) => (lines[last].end, " ".repeat(indent(lines[first].text))),
                None => (lines[k].end, " ".repeat(top + seq_offset(&lines, top))),
            };
            let mut add = String::new();
            let (head, tail) = text.split_at(at);
            if !head.ends_with('\n') {
                add.push_str(eol);
            }
            for p in &missing {
                add.push_str(&format!("{pad}- path: {}{eol}", escape::yaml(p)));
            }
            if !head.ends_with('\n') && tail.is_empty() {
                add.truncate(add.len() - eol.len());
            }
            format!("{head}{add}{tail}")
        }
    };
    let mut list = items;
    list.extend(missing.iter().map(|p| entry(p)));
    verify(data, Some(list), &edited, "add a patch to")?;
    Ok(Some(edited))
}

/// `text` with the `patches` items of `paths` removed (None: none listed).
/// Only one-line `- path: FILE` items are removed; the key goes when the
/// list empties.
pub(super) fn remove(
    text: &str,
    data: &Value,
    paths: &[&String],
) -> Result<Option<String>, String> {
    let items = listed(data)?;
    let gone = |i: &Value| path_of(i).is_some_and(|x| paths.iter().any(|p| same_entry(x, p)));
    if !items.iter().any(gone) {
        return Ok(None);
    }
    let lines = lines(text);
    let top = top_indent(&lines);
    let Some(key) = key_line(&lines, top)? else {
        return Err("its patches key is not a plain top-level key".into());
    };
    let Some((first, last)) = block(&lines, key, top) else {
        return Err("its patches list is not a block list".into());
    };
    let item_indent = indent(lines[first].text);
    let mut cut = Vec::new();
    for i in first..=last {
        let l = &lines[i];
        if is_blank_or_comment(l.text) || indent(l.text) != item_indent || !is_seq_item(l.text) {
            continue;
        }
        let body = strip_comment(&l.text[item_indent + 1..]);
        let item: Value = serde_yaml::from_str(body).unwrap_or(Value::Null);
        let next = lines[i + 1..].iter().find(|n| !is_blank_or_comment(n.text));
        let continues = next.is_some_and(|n| indent(n.text) > item_indent);
        if gone(&item) && !continues && item.as_mapping().is_some_and(|m| m.len() == 1) {
            cut.push(i);
        }
    }
    let keep: Vec<Value> = items.iter().filter(|i| !gone(i)).cloned().collect();
    let mut out = String::with_capacity(text.len());
    for (i, l) in lines.iter().enumerate() {
        let whole_key = keep.is_empty() && (i == key || cut.contains(&i));
        if !cut.contains(&i) && !whole_key {
            out.push_str(&text[l.start..l.end]);
        }
    }
    verify(
        data,
        (!keep.is_empty()).then_some(keep),
        &out,
        "remove a patch from",
    )?;
    Ok(Some(out))
}

/// `edited` must read as `before` with `patches` set to `list` (absent for
/// None) and nothing else changed.
fn verify(
    before: &Value,
    list: Option<Vec<Value>>,
    edited: &str,
    what: &str,
) -> Result<(), String> {
    let after = parse(edited).map_err(|e| format!("the edited file would not parse: {e}"))?;
    let mut expected = match before {
        Value::Mapping(m) => m.clone(),
        _ => Mapping::new(),
    };
    match list {
        Some(l) => expected.insert("patches".into(), Value::Sequence(l)),
        None => expected.remove("patches"),
    };
    if after != Value::Mapping(expected) {
        return Err(format!(
            "its layout is one this tool cannot {what} without changing other content"
        ));
    }
    Ok(())
}

/// `entries` split into `patches` paths and `resources` entries.
pub(super) fn split_entries(entries: &[String]) -> (Vec<String>, Vec<String>) {
    let (p, r): (Vec<&String>, Vec<&String>) =
        entries.iter().partition(|e| e.starts_with(PATCH_ENTRY));
    (
        p.into_iter().map(|e| entry_path(e).to_string()).collect(),
        r.into_iter().cloned().collect(),
    )
}

/// Apply `plain` to the `resources` entries and `patch` to the `patches`
/// paths of `entries`, one after the other.
pub(super) fn edit_both(
    input: &[u8],
    entries: &[String],
    plain: fn(&[u8], &[String]) -> Result<Patched, String>,
    patch: fn(&[u8], &[String]) -> Result<Patched, String>,
) -> Result<Patched, String> {
    let (paths, rest) = split_entries(entries);
    let mut out = Patched::Unchanged;
    if !rest.is_empty() || paths.is_empty() {
        out = plain(input, &rest)?;
    }
    if !paths.is_empty() {
        let now = match &out {
            Patched::Changed(b) => b.as_slice(),
            Patched::Unchanged => input,
        };
        if let Patched::Changed(b) = patch(now, &paths)? {
            out = Patched::Changed(b);
        }
    }
    Ok(out)
}

pub(super) fn edit(input: &[u8], paths: &[String], removing: bool) -> Result<Patched, String> {
    let doc = Document::of(input)?;
    let data = parse(doc.text)?;
    if let Some(why) = not_a_kustomization(&data) {
        return Err(why);
    }
    let refs: Vec<&String> = paths.iter().collect();
    let eol = if doc.whole.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let edited = match removing {
        false => add(doc.text, &data, &refs, eol)?,
        true => remove(doc.text, &data, &refs)?,
    };
    Ok(edited.map_or(Patched::Unchanged, |e| doc.with(&e)))
}

/// The prefix of an entry that is a `patches:` item (`- path: FILE`, a
/// strategic-merge patch file) rather than a `resources` entry.
pub const PATCH_ENTRY: &str = "patch:";

/// The `patches` items of a kustomization that name a file (`- path:`),
/// as entries with the [`super::PATCH_ENTRY`] prefix.
pub fn patch_entries(data: &serde_yaml::Value) -> Vec<String> {
    match data.get("patches") {
        Some(serde_yaml::Value::Sequence(items)) => items
            .iter()
            .filter_map(|i| i.get("path").and_then(|p| p.as_str()))
            .map(|p| format!("{PATCH_ENTRY}{p}"))
            .collect(),
        _ => Vec::new(),
    }
}

/// The file an entry names, without the [`super::PATCH_ENTRY`] prefix.
pub fn entry_path(entry: &str) -> &str {
    entry.strip_prefix(PATCH_ENTRY).unwrap_or(entry)
}
