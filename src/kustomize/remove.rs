//! Taking entries out of `resources` (and `patches`), changing no other byte.

use super::*;

/// Remove `entries` from `resources`, changing no other byte: each block
/// item's line goes, a flow item goes with one comma, and a list left empty
/// becomes `[]`. `Err` holds the reason the file cannot be edited safely.
pub fn remove_resources(input: &[u8], entries: &[String]) -> Result<Patched, String> {
    patches::edit_both(input, entries, remove_plain, |i, p| {
        patches::edit(i, p, true)
    })
}

fn remove_plain(input: &[u8], entries: &[String]) -> Result<Patched, String> {
    let doc = Document::of(input)?;
    let data = parse(doc.text)?;
    let existing = listed_resources(&data)?;
    let gone = |x: &str| entries.iter().any(|e| same_entry(x, e));
    let keep: Vec<String> = existing.iter().filter(|x| !gone(x)).cloned().collect();
    if keep.len() == existing.len() {
        return Ok(Patched::Unchanged);
    }
    let mut edited = doc.text.to_string();
    while let Some(next) = remove_one(&edited, &gone)? {
        edited = next;
    }
    verify(&data, keep, &edited, "remove an entry from")?;
    Ok(doc.with(&edited))
}

/// The text of a scalar item as YAML reads it.
fn scalar(item: &str) -> Option<String> {
    serde_yaml::from_str::<String>(strip_comment(item).trim()).ok()
}

/// `text` with the first item `gone` accepts removed, or None when none is left.
fn remove_one(text: &str, gone: &dyn Fn(&str) -> bool) -> Result<Option<String>, String> {
    let (lines, top, at) = locate(text, true)?;
    let (k, colon) = match at {
        Located::Flow { open } => return remove_flow(text, open, gone),
        Located::Block { key, colon } => (key, colon),
        Located::Missing => return Ok(None),
    };
    let mut items = Vec::new();
    let mut si = None;
    for (i, l) in lines.iter().enumerate().skip(k + 1) {
        if is_blank_or_comment(l.text) {
            continue;
        }
        let ind = indent(l.text);
        match si {
            None if is_seq_item(l.text) && ind >= top => si = Some(ind),
            None => break,
            Some(s) if ind == s && is_seq_item(l.text) => {}
            Some(s) if ind > s => {
                return Err("its resources list has items over several lines".into());
            }
            Some(_) => break,
        }
        items.push(i);
    }
    let Some(pos) = items.iter().position(|&i| {
        scalar(lines[i].text.trim_start()[1..].trim_start()).is_some_and(|s| gone(&s))
    }) else {
        return Ok(None);
    };
    let line = &lines[items[pos]];
    let mut out = String::with_capacity(text.len());
    if items.len() == 1 {
        // The list empties: `resources: []`, the comment after the key kept.
        out.push_str(&text[..colon]);
        out.push_str(" []");
        out.push_str(&text[colon..line.start]);
    } else if line.end == text.len() && !text.ends_with('\n') && line.start > 0 {
        // The last line, without a final newline: the line break before it goes.
        let eol = if text[..line.start].ends_with("\r\n") {
            2
        } else {
            1
        };
        out.push_str(&text[..line.start - eol]);
    } else {
        out.push_str(&text[..line.start]);
    }
    out.push_str(&text[line.end..]);
    Ok(Some(out))
}

fn remove_flow(
    text: &str,
    open: usize,
    gone: &dyn Fn(&str) -> bool,
) -> Result<Option<String>, String> {
    let seps = flow_list(text, open)?;
    // Item n lies between seps[n] and seps[n + 1].
    let items: Vec<(usize, usize)> = seps
        .windows(2)
        .map(|w| (w[0] + 1, w[1]))
        .filter(|(a, b)| !text[*a..*b].trim().is_empty())
        .collect();
    let Some(n) = items
        .iter()
        .position(|(a, b)| scalar(&text[*a..*b]).is_some_and(|s| gone(&s)))
    else {
        return Ok(None);
    };
    let (a, b) = items[n];
    let (from, to) = if items.len() == 1 {
        (a, b)
    } else if n + 1 < items.len() {
        // The item, its comma, and the blanks before the next item.
        let next = items[n + 1].0;
        let lead = text[next..].len() - text[next..].trim_start().len();
        (
            a + (text[a..b].len() - text[a..b].trim_start().len()),
            next + lead,
        )
    } else {
        // The comma before it, the item and its blanks up to the last one's end.
        (items[n - 1].1, a + text[a..b].trim_end().len())
    };
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..from]);
    out.push_str(&text[to..]);
    Ok(Some(out))
}
