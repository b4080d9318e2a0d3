//! Parse generated Bicep with tree-sitter-bicep and turn its object
//! literals into JSON, so tests can compare them with the ARM schemas.

use serde_json::{Map, Value};
use tree_sitter::{Node, Parser, Tree};

pub fn parse(src: &str) -> Tree {
    let mut p = Parser::new();
    p.set_language(&tree_sitter_bicep::LANGUAGE.into()).unwrap();
    p.parse(src, None).unwrap()
}

/// Panics when the tree holds an ERROR or MISSING node.
pub fn assert_no_errors(tree: &Tree, src: &str, name: &str) {
    assert!(
        !tree.root_node().has_error(),
        "{name}: Bicep syntax errors:\n{}\n{src}",
        tree.root_node().to_sexp()
    );
}

fn named_children<'a>(n: Node<'a>) -> Vec<Node<'a>> {
    let mut c = n.walk();
    n.named_children(&mut c)
        .filter(|x| x.kind() != "comment")
        .collect()
}

/// The value of a string literal, escapes decoded by Bicep's rules (\\, \',
/// \n, \r, \t, \$, \u{X}); interpolations are kept as `${...}` text, so an
/// unexpected one shows up in comparisons. tree-sitter-bicep checks the
/// syntax, but leaves some escapes out of its child nodes, hence the decoding
/// from the literal's own bytes.
pub fn string_value(n: Node, src: &str) -> String {
    let raw = &src[n.byte_range()];
    let inner = raw
        .strip_prefix("\'")
        .and_then(|r| r.strip_suffix('\''))
        .unwrap_or_else(|| panic!("not a single-quoted string: {raw}"));
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\'') => out.push('\''),
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('$') => out.push('$'),
            Some('u') => {
                assert_eq!(chars.next(), Some('{'));
                let hex: String = chars.by_ref().take_while(|c| *c != '}').collect();
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap());
            }
            other => panic!("unknown escape \\{other:?} in {raw}"),
        }
    }
    out
}

/// Whether a string literal holds a `${...}` interpolation.
pub fn has_interpolation(n: Node) -> bool {
    let mut c = n.walk();
    n.named_children(&mut c)
        .any(|k| k.kind().contains("interpolation"))
}

/// Every string literal below `n` that holds an interpolation, as source text.
pub fn interpolated_strings(n: Node, src: &str) -> Vec<String> {
    let mut out = Vec::new();
    if n.kind() == "string" && has_interpolation(n) {
        out.push(src[n.byte_range()].to_string());
    }
    let mut c = n.walk();
    for k in n.named_children(&mut c) {
        out.extend(interpolated_strings(k, src));
    }
    out
}

/// An expression as JSON: objects, arrays, strings, numbers and booleans
/// as themselves; anything else as `{"expr": text}`.
pub fn to_json(n: Node, src: &str) -> Value {
    match n.kind() {
        "object" => {
            let mut map = Map::new();
            for prop in named_children(n) {
                let kids = named_children(prop);
                if kids.len() < 2 {
                    continue; // a spread or a decorator: not a plain key and value
                }
                let key = match kids[0].kind() {
                    "string" => string_value(kids[0], src),
                    _ => src[kids[0].byte_range()].to_string(),
                };
                map.insert(key, to_json(kids[1], src));
            }
            Value::Object(map)
        }
        "array" => Value::Array(
            named_children(n)
                .into_iter()
                .map(|c| to_json(c, src))
                .collect(),
        ),
        "string" => Value::String(string_value(n, src)),
        "number" => Value::from(src[n.byte_range()].parse::<i64>().unwrap()),
        "boolean" => Value::Bool(&src[n.byte_range()] == "true"),
        _ => serde_json::json!({ "expr": &src[n.byte_range()] }),
    }
}

/// Every declaration of `kind` (resource_declaration, module_declaration):
/// (symbol, its string: type or path, body as JSON).
fn declarations(tree: &Tree, src: &str, kind: &str) -> Vec<(String, String, Value)> {
    named_children(tree.root_node())
        .into_iter()
        .filter(|n| n.kind() == kind)
        .filter_map(|n| {
            let kids = named_children(n);
            // Conditional and looped declarations have no plain object body.
            let body = kids.iter().find(|k| k.kind() == "object").copied()?;
            Some((
                src[kids[0].byte_range()].to_string(),
                string_value(kids[1], src),
                to_json(body, src),
            ))
        })
        .collect()
}

/// Every resource declaration: (symbol, type string, body as JSON).
pub fn resources(tree: &Tree, src: &str) -> Vec<(String, String, Value)> {
    declarations(tree, src, "resource_declaration")
}

/// The body of the first resource whose type starts with `prefix`, in a
/// file (named `file` in failures) that must parse without errors.
pub fn resource_body(src: &str, file: &str, prefix: &str) -> Value {
    let tree = parse(src);
    assert_no_errors(&tree, src, file);
    resources(&tree, src)
        .into_iter()
        .find(|(_, t, _)| t.starts_with(prefix))
        .unwrap_or_else(|| panic!("{file}: no {prefix} resource"))
        .2
}

/// Every output declaration's value as JSON, by name.
pub fn outputs(tree: &Tree, src: &str) -> Vec<(String, Value)> {
    named_children(tree.root_node())
        .into_iter()
        .filter(|n| n.kind() == "output_declaration")
        .map(|n| {
            let kids = named_children(n);
            let value = *kids.last().unwrap();
            (src[kids[0].byte_range()].to_string(), to_json(value, src))
        })
        .collect()
}

/// Every module declaration: (symbol, path, body as JSON).
pub fn modules(tree: &Tree, src: &str) -> Vec<(String, String, Value)> {
    declarations(tree, src, "module_declaration")
}
