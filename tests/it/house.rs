//! The house rules a maintainer relies on, checked on the sources: no Rust
//! file over 600 lines, no function in src/ over 80, and every test that
//! ARCHITECTURE.md cites for an invariant exists.

use std::path::{Path, PathBuf};

const MAX_FILE_LINES: usize = 600;
const MAX_FN_LINES: usize = 80;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file below `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A literal left open at the end of a line.
#[derive(Clone, PartialEq)]
enum Open {
    /// An ordinary string (escapes apply).
    Str,
    /// A raw string, closed by this text (`"#`).
    Raw(String),
}

/// The line without its string and character literals and its `//`
/// comment, so only code braces remain; `open` carries a literal left open
/// from line to line.
fn code_only(line: &str, open: &mut Option<Open>) -> String {
    let b: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        match open.clone() {
            Some(Open::Str) => {
                match b[i] {
                    '\\' => i += 2,
                    '"' => {
                        *open = None;
                        i += 1;
                    }
                    _ => i += 1,
                }
                continue;
            }
            Some(Open::Raw(close)) => {
                let rest: String = b[i..].iter().collect();
                match rest.find(close.as_str()) {
                    Some(at) => {
                        i += rest[..at].chars().count() + close.chars().count();
                        *open = None;
                        continue;
                    }
                    None => return out,
                }
            }
            None => {}
        }
        match b[i] {
            '/' if b.get(i + 1) == Some(&'/') => return out,
            'r' if matches!(b.get(i + 1), Some('"') | Some('#'))
                && !b[..i]
                    .last()
                    .is_some_and(|c| c.is_alphanumeric() || *c == '_') =>
            {
                let hashes = b[i + 1..].iter().take_while(|c| **c == '#').count();
                if b.get(i + 1 + hashes) == Some(&'"') {
                    *open = Some(Open::Raw(format!("\"{}", "#".repeat(hashes))));
                    i += hashes + 2;
                } else {
                    out.push('r');
                    i += 1;
                }
            }
            '"' => {
                *open = Some(Open::Str);
                i += 1;
            }
            '\'' if b.get(i + 1) == Some(&'\\') => {
                i += 2;
                while i < b.len() && b[i] != '\'' {
                    i += 1;
                }
                i += 1;
            }
            '\'' if b.get(i + 2) == Some(&'\'') => i += 3,
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// The name of the function an item line starts, if it starts one.
fn starts_fn(line: &str) -> Option<&str> {
    let mut rest = line.trim_start();
    for prefix in [
        "pub(crate) ",
        "pub(super) ",
        "pub ",
        "const ",
        "async ",
        "unsafe ",
    ] {
        rest = rest.strip_prefix(prefix).unwrap_or(rest);
    }
    let rest = rest.strip_prefix("fn ")?;
    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    Some(&rest[..end])
}

/// (name, first line, length in lines) of every function in `text`.
fn functions(text: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut code = Vec::with_capacity(lines.len());
    let mut open = None;
    for l in &lines {
        code.push(code_only(l, &mut open));
    }
    let mut out = Vec::new();
    for (start, l) in lines.iter().enumerate() {
        let Some(name) = starts_fn(l) else { continue };
        let (mut depth, mut opened) = (0i32, false);
        for (end, c) in code.iter().enumerate().skip(start) {
            for ch in c.chars() {
                match ch {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            if !opened && c.trim_end().ends_with(';') {
                break;
            }
            if opened && depth <= 0 {
                out.push((name.to_string(), start + 1, end - start + 1));
                break;
            }
        }
    }
    out
}

#[test]
fn no_file_is_over_600_lines_and_no_source_function_over_80() {
    let mut long = Vec::new();
    let src = rust_files(&root().join("src"));
    let tests = rust_files(&root().join("tests"));
    assert!(src.len() > 20 && tests.len() > 20, "src/ and tests/ read");
    for f in src.iter().chain(&tests) {
        let text = std::fs::read_to_string(f).unwrap();
        let rel = f.strip_prefix(root()).unwrap().display().to_string();
        let n = text.lines().count();
        if n > MAX_FILE_LINES {
            long.push(format!("{rel}: {n} lines"));
        }
        // Functions are held to it in src/; a test may be a long table.
        if !f.starts_with(root().join("src")) {
            continue;
        }
        for (name, line, len) in functions(&text) {
            if len > MAX_FN_LINES {
                long.push(format!("{rel}:{line}: fn {name} is {len} lines"));
            }
        }
    }
    assert!(long.is_empty(), "split these:\n{}", long.join("\n"));
}

#[test]
fn the_function_scanner_sees_through_strings_and_comments() {
    let text = "fn a() {\n    let s = \"}\"; // }\n    let c = '}';\n    let r = r#\"\n}\n\"#;\n}\nfn b<'x>(v: &'x str) -> &'x str {\n    v\n}\n";
    assert_eq!(
        functions(text),
        vec![("a".to_string(), 1, 7), ("b".to_string(), 8, 3)]
    );
}

/// Every `module::test` that ARCHITECTURE.md names is a test that exists
/// (an integration module in tests/it, or `module::tests::name` in src).
#[test]
fn the_tests_architecture_cites_exist() {
    let doc = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let mut tests = std::collections::BTreeSet::new();
    for f in rust_files(&root().join("tests/it"))
        .into_iter()
        .chain(rust_files(&root().join("src")))
    {
        let text = std::fs::read_to_string(&f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            if let Some(name) = starts_fn(l)
                && i > 0
                && lines[..i]
                    .iter()
                    .rev()
                    .take(3)
                    .any(|p| p.contains("#[test]") || p.contains("proptest"))
            {
                tests.insert(name.to_string());
            }
        }
    }
    assert!(tests.len() > 150, "tests found: {}", tests.len());
    let modules: Vec<String> = rust_files(&root().join("tests/it"))
        .iter()
        .filter_map(|f| {
            let stem = f.file_stem()?.to_string_lossy().into_owned();
            if stem == "mod" {
                Some(f.parent()?.file_name()?.to_string_lossy().into_owned())
            } else {
                Some(stem)
            }
        })
        .collect();
    let mut missing = Vec::new();
    let mut cited_count = 0;
    for cited in doc.split('`').skip(1).step_by(2) {
        let parts: Vec<&str> = cited.split("::").collect();
        let in_tests = parts.len() == 2 && modules.iter().any(|m| m == parts[0]);
        let unit = parts.len() == 3 && parts[1] == "tests";
        let name = parts[parts.len() - 1];
        let is_name = name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !(in_tests || unit) || !is_name || !name.contains('_') {
            continue;
        }
        cited_count += 1;
        if !tests.contains(name) {
            missing.push(cited.to_string());
        }
    }
    assert!(cited_count > 20, "citations read: {cited_count}");
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md cites tests that do not exist: {missing:?}"
    );
}
