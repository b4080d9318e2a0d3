//! A schema 1 list default, a comma-separated string that may be built
//! with `{% if %}` and `{% for %}`, as the schema 2 list that yields the
//! same values: `a,b` is `[a, b]`; `{% if C %}X{% else %}Y{% endif %}` is
//! X's items with `when: C` and Y's with `when: not (C)`; a `{% for e in L
//! %}V{% if not loop.last %},{% endif %}{% endfor %}` is one item with
//! `each: L` and V using `item` for `e`. Anything else is refused, and so
//! is a value that uses a list answer: schema 1 split its comma-joined
//! text into several items, schema 2 keeps one.

use std::collections::BTreeSet;

use serde_yaml::{Mapping, Value};

type Res<T> = std::result::Result<T, String>;

enum Tok {
    Text(String),
    /// `{{ ... }}`, whole.
    Expr(String),
    /// The inside of `{% ... %}`, trimmed.
    Tag(String),
}

enum Node {
    Text(String),
    Expr(String),
    If(String, Vec<Node>, Vec<Node>),
    For(String, String, Vec<Node>),
}

/// The schema 2 items of the schema 1 default `text`; `lists` are the
/// pack's list questions.
pub fn convert(text: &str, lists: &BTreeSet<&str>) -> Res<Vec<Value>> {
    let toks = tokens(text)?;
    for tok in &toks {
        if let Tok::Expr(e) = tok {
            one_item(e, lists)?;
        }
    }
    let mut pos = 0;
    let (nodes, end) = parse(&toks, &mut pos)?;
    if let Some(tag) = end {
        return Err(format!("unexpected {{% {tag} %}}"));
    }
    let mut items = Vec::new();
    collect(&nodes, &[], &mut items)?;
    Ok(items)
}

fn tokens(text: &str) -> Res<Vec<Tok>> {
    let mut out = Vec::new();
    let mut rest = text;
    if text.contains("{#") {
        return Err("comments are not converted".into());
    }
    while let Some(at) = rest.find("{{").into_iter().chain(rest.find("{%")).min() {
        if at > 0 {
            out.push(Tok::Text(rest[..at].to_string()));
        }
        let is_expr = rest[at..].starts_with("{{");
        let close = if is_expr { "}}" } else { "%}" };
        let end = rest[at + 2..]
            .find(close)
            .map(|e| at + 2 + e + 2)
            .ok_or("an unclosed tag")?;
        let inner = &rest[at + 2..end - 2];
        if inner.starts_with('-') || inner.ends_with('-') {
            return Err("whitespace control ({%- -%}) is not converted".into());
        }
        out.push(if is_expr {
            Tok::Expr(rest[at..end].to_string())
        } else {
            Tok::Tag(inner.trim().to_string())
        });
        rest = &rest[end..];
    }
    if !rest.is_empty() {
        out.push(Tok::Text(rest.to_string()));
    }
    Ok(out)
}

/// Nodes up to the end or a closing tag (`else`, `endif`, `endfor`),
/// which is returned.
fn parse(toks: &[Tok], pos: &mut usize) -> Res<(Vec<Node>, Option<String>)> {
    let mut out = Vec::new();
    while let Some(tok) = toks.get(*pos) {
        *pos += 1;
        match tok {
            Tok::Text(t) => out.push(Node::Text(t.clone())),
            Tok::Expr(e) => out.push(Node::Expr(e.clone())),
            Tok::Tag(t) if matches!(t.as_str(), "else" | "endif" | "endfor") => {
                return Ok((out, Some(t.clone())));
            }
            Tok::Tag(t) => out.push(block(t, toks, pos)?),
        }
    }
    Ok((out, None))
}

fn block(tag: &str, toks: &[Tok], pos: &mut usize) -> Res<Node> {
    if let Some(cond) = tag.strip_prefix("if ") {
        let (then, end) = parse(toks, pos)?;
        let otherwise = match end.as_deref() {
            Some("endif") => Vec::new(),
            Some("else") => match parse(toks, pos)? {
                (nodes, Some(e)) if e == "endif" => nodes,
                _ => return Err("an {% if %} without {% endif %}".into()),
            },
            _ => return Err("an {% if %} without {% endif %}".into()),
        };
        return Ok(Node::If(cond.trim().to_string(), then, otherwise));
    }
    if let Some(head) = tag.strip_prefix("for ") {
        let words: Vec<&str> = head.split_whitespace().collect();
        let [var, "in", list] = words[..] else {
            return Err(format!("{{% {tag} %}} is not `for NAME in LIST`"));
        };
        if !is_identifier(var) || !is_identifier(list) {
            return Err(format!("{{% {tag} %}} does not loop over an answer"));
        }
        return match parse(toks, pos)? {
            (body, Some(e)) if e == "endfor" => Ok(Node::For(var.into(), list.into(), body)),
            _ => Err("a {% for %} without {% endfor %}".into()),
        };
    }
    Err(format!("{{% {tag} %}} is not converted"))
}

/// The items of `nodes`, each under the conditions `when`.
fn collect(nodes: &[Node], when: &[String], out: &mut Vec<Value>) -> Res<()> {
    let mut piece = String::new();
    // After an {% if %} or a loop, only a comma may follow.
    let mut closed = false;
    for node in nodes {
        match node {
            Node::Text(t) => {
                for (n, part) in t.split(',').enumerate() {
                    if n > 0 {
                        push(&piece, None, when, out);
                        piece.clear();
                        closed = false;
                    } else if closed && !part.trim().is_empty() {
                        return Err("text joined to an {% if %} or a loop".into());
                    }
                    piece.push_str(part);
                }
            }
            Node::Expr(e) if !closed => piece.push_str(e),
            Node::If(cond, then, otherwise) if !closed && piece.trim().is_empty() => {
                collect(then, &[when, std::slice::from_ref(cond)].concat(), out)?;
                let not = format!("not ({cond})");
                collect(otherwise, &[when, &[not]].concat(), out)?;
                closed = true;
            }
            Node::For(var, list, body) if !closed && piece.trim().is_empty() => {
                let value = loop_value(var, body)?;
                push(&value, Some(list), when, out);
                closed = true;
            }
            _ => return Err("an {% if %} or a loop inside a value".into()),
        }
    }
    push(&piece, None, when, out);
    Ok(())
}

/// An item: a plain value, or a mapping with `each` and `when`. Empty
/// pieces are dropped, as schema 1 dropped empty values.
fn push(value: &str, each: Option<&String>, when: &[String], out: &mut Vec<Value>) {
    let value = value.trim();
    if value.is_empty() {
        return;
    }
    if each.is_none() && when.is_empty() {
        out.push(Value::String(value.into()));
        return;
    }
    let mut map = Mapping::new();
    map.insert("value".into(), value.into());
    if let Some(list) = each {
        map.insert("each".into(), list.as_str().into());
    }
    match when {
        [] => {}
        [one] => {
            map.insert("when".into(), one.as_str().into());
        }
        all => {
            let joined: Vec<String> = all.iter().map(|c| format!("({c})")).collect();
            map.insert("when".into(), joined.join(" and ").into());
        }
    }
    out.push(Value::Mapping(map));
}

/// The loop's body as one value using `item`: text and expressions,
/// ending with the `{% if not loop.last %},{% endif %}` separator.
fn loop_value(var: &str, body: &[Node]) -> Res<String> {
    let Some((Node::If(cond, sep, none), rest)) = body.split_last() else {
        return Err("a loop without `{% if not loop.last %},{% endif %}`".into());
    };
    if cond != "not loop.last"
        || !none.is_empty()
        || !matches!(&sep[..], [Node::Text(c)] if c == ",")
    {
        return Err("a loop without `{% if not loop.last %},{% endif %}`".into());
    }
    let mut value = String::new();
    for node in rest {
        match node {
            Node::Text(t) if !t.contains(',') => value.push_str(t),
            Node::Expr(e) => value.push_str(&rename(e, var)?),
            _ => return Err("a loop whose value has a comma, an {% if %} or a loop".into()),
        }
    }
    Ok(value)
}

/// `expr` with the variable `var` renamed `item`.
fn rename(expr: &str, var: &str) -> Res<String> {
    if var == "item" {
        return Ok(expr.to_string());
    }
    map_words(expr, |word, variable| {
        if word == "item" {
            return Err("a loop that already uses `item`".into());
        }
        Ok(if word == var && variable {
            "item"
        } else {
            word
        }
        .to_string())
    })
}

/// Refuses `expr` when it uses a list answer (`{{ base }}` renders `a,b`,
/// which schema 1 split in two).
fn one_item(expr: &str, lists: &BTreeSet<&str>) -> Res<()> {
    map_words(expr, |word, variable| {
        if variable && lists.contains(word) {
            return Err(format!(
                "'{word}' is a list answer: schema 1 split its values into items, schema 2 would keep them in one; convert it by hand"
            ));
        }
        Ok(word.to_string())
    })
    .map(|_| ())
}

/// `expr` with each word (outside strings) replaced by `f(word, variable)`,
/// `variable` false for an attribute or a keyword argument's name.
fn map_words(expr: &str, mut f: impl FnMut(&str, bool) -> Res<String>) -> Res<String> {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    let mut chars = expr.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        if matches!(c, '"' | '\'' | '`') {
            quote = Some(c);
            out.push(c);
            continue;
        }
        if !(c.is_ascii_alphabetic() || c == '_') {
            out.push(c);
            continue;
        }
        let mut end = i + c.len_utf8();
        while let Some(&(j, d)) = chars.peek() {
            if !(d.is_ascii_alphanumeric() || d == '_') {
                break;
            }
            end = j + d.len_utf8();
            chars.next();
        }
        let word = &expr[i..end];
        let after = expr[end..].trim_start();
        let attribute = out.trim_end().ends_with('.');
        let keyword = after.starts_with('=') && !after.starts_with("==");
        out.push_str(&f(word, !attribute && !keyword)?);
    }
    Ok(out)
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> String {
        serde_yaml::to_string(&convert(text, &BTreeSet::from(["envs"])).unwrap()).unwrap()
    }

    #[test]
    fn plain_lists_split_at_commas() {
        assert_eq!(yaml("a, b,,c"), "- a\n- b\n- c\n");
        assert_eq!(yaml("{{ x }}"), "- '{{ x }}'\n");
    }

    #[test]
    fn conditions_and_loops_become_when_and_each() {
        let text = "{% if n == 1 %}{{ a }}{% else %}{% for e in envs %}{{ a | sibling(name=e) }}-{{ e.x }}{% if not loop.last %},{% endif %}{% endfor %}{% endif %}";
        assert_eq!(
            yaml(text),
            "- value: '{{ a }}'\n  when: n == 1\n- value: '{{ a | sibling(name=item) }}-{{ item.x }}'\n  each: envs\n  when: not (n == 1)\n"
        );
        assert_eq!(
            yaml("{% if c %}x{% else %}y,z{% endif %}"),
            "- value: x\n  when: c\n- value: y\n  when: not (c)\n- value: z\n  when: not (c)\n"
        );
    }

    #[test]
    fn what_has_no_list_form_is_refused() {
        for text in [
            "a{% if c %}b{% endif %}",
            "{% for e in envs %}{{ e }}{% endfor %}",
            "{% for e in envs %}{{ item }}{% if not loop.last %},{% endif %}{% endfor %}",
            "{%- if c %}a{% endif %}",
            "{% if c %}a",
            "{% set x = 1 %}",
            "{{ envs }},c",
            "{% for e in envs %}{{ e }}-{{ envs | join(sep=\"-\") }}{% if not loop.last %},{% endif %}{% endfor %}",
        ] {
            assert!(convert(text, &BTreeSet::from(["envs"])).is_err(), "{text}");
        }
    }
}
