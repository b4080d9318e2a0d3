//! Tera expressions and small text templates over the answers: `when`
//! conditions, defaults that use earlier answers, output paths.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::escape::Lang;
use crate::pack::{Manifest, Question, QuestionType};
use crate::validate;
use crate::values::{Answers, Value};

/// The tera context of a set of answers. Questions not answered (their
/// `when` was false) are present as none, so templates can test them.
pub fn context(manifest: &Manifest, answers: &Answers) -> tera::Context {
    let mut ctx = tera::Context::new();
    for q in &manifest.questions {
        match answers.values.get(&q.key) {
            Some(v) => set(&mut ctx, q, v),
            None => ctx.insert_value(q.key.clone(), tera::Value::none()),
        }
    }
    ctx
}

/// Put one answer into a context, typed by its question: a git-ref is a
/// map of `kind` and `value`.
pub fn set(ctx: &mut tera::Context, q: &Question, v: &Value) {
    let value = match v {
        Value::Str(s) if q.kind == QuestionType::GitRef => {
            let (kind, value) = validate::git_ref(s).unwrap_or(("branch", s.as_str()));
            let mut map = tera::Map::new();
            map.insert("kind".into(), kind.into());
            map.insert("value".into(), value.into());
            tera::Value::from(map)
        }
        v => tera::Value::from_serializable(v),
    };
    ctx.insert_value(q.key.clone(), value);
}

/// The names an expression or template mentions, outside string literals
/// (keywords and filters included: callers keep the ones they know).
pub fn identifiers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut word = String::new();
    while let Some(c) = chars.next() {
        if c == '"' || c == '\'' {
            for d in chars.by_ref() {
                if d == c {
                    break;
                }
            }
        } else if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
            if !chars
                .peek()
                .is_some_and(|n| n.is_ascii_alphanumeric() || *n == '_')
            {
                if !word.starts_with(|f: char| f.is_ascii_digit()) {
                    out.push(std::mem::take(&mut word));
                }
                word.clear();
            }
        }
    }
    out
}

/// Evaluate a condition such as `pod_identity == "helm"`.
pub fn eval(expr: &str, ctx: &tera::Context) -> Result<bool, String> {
    let out = render_text(&format!("{{% if {expr} %}}1{{% endif %}}"), ctx)?;
    Ok(out == "1")
}

/// Render a small text template (a path, a default, a condition) with no
/// quoting. Each distinct template is compiled once per thread: a run
/// evaluates the same few dozen many times, and a fleet run thousands.
pub fn render_text(template: &str, ctx: &tera::Context) -> Result<String, String> {
    thread_local! {
        static COMPILED: RefCell<HashMap<String, tera::Tera>> = RefCell::new(HashMap::new());
    }
    COMPILED.with(|cache| {
        let mut cache = cache.borrow_mut();
        if !cache.contains_key(template) {
            let mut tera = engine(Lang::Text);
            tera.add_raw_template("__text", template)
                .map_err(|e| flatten(&e))?;
            cache.insert(template.to_string(), tera);
        }
        cache[template]
            .render("__text", ctx)
            .map_err(|e| flatten(&e))
    })
}

/// A tera engine whose autoescape quotes every interpolated string for
/// `lang`, with the quoting filters registered.
pub fn engine(lang: Lang) -> tera::Tera {
    let mut tera = tera::Tera::new();
    match lang {
        Lang::Text => tera.autoescape_on(Vec::<&str>::new()),
        Lang::Yaml => tera.set_escape_fn(|s, out| out.write_all(Lang::Yaml.quote(s).as_bytes())),
        Lang::Bicep => tera.set_escape_fn(|s, out| out.write_all(Lang::Bicep.quote(s).as_bytes())),
        Lang::Hcl => tera.set_escape_fn(|s, out| out.write_all(Lang::Hcl.quote(s).as_bytes())),
        Lang::Shell => tera.set_escape_fn(|s, out| out.write_all(Lang::Shell.quote(s).as_bytes())),
    }
    if lang != Lang::Text {
        tera.autoescape_on([""]);
    }
    for (name, l) in [
        ("yaml", Lang::Yaml),
        ("bicep", Lang::Bicep),
        ("hcl", Lang::Hcl),
        ("sh", Lang::Shell),
    ] {
        tera.register_filter(
            name,
            move |v: tera::Value, _: tera::Kwargs, _: &tera::State| quote_value(l, &v),
        );
    }
    tera.register_filter(
        "q",
        move |v: tera::Value, _: tera::Kwargs, _: &tera::State| quote_value(lang, &v),
    );
    tera.register_filter("seconds", |v: &str, _: tera::Kwargs, _: &tera::State| {
        validate::duration_seconds(v)
    });
    tera.register_filter("duration", |v: &str, _: tera::Kwargs, _: &tera::State| {
        validate::canonical_duration(validate::duration_seconds(v))
    });
    tera.register_function("range", bounded_range);
    tera.register_filter("ident", |v: &str, _: tera::Kwargs, _: &tera::State| {
        tera::Value::safe_string(&identifier(v))
    });
    tera.register_filter(
        "sibling",
        |v: &str, kwargs: tera::Kwargs, _: &tera::State| -> tera::TeraResult<String> {
            let name = kwargs.must_get::<&str>("name")?;
            Ok(match v.rsplit_once('/') {
                Some((parent, _)) => format!("{parent}/{name}"),
                None => name.to_string(),
            })
        },
    );
    tera.register_filter("dns_label", |v: &str, _: tera::Kwargs, _: &tera::State| {
        dns_label(v)
    });
    tera.register_filter(
        "exception_names",
        |v: Vec<String>, _: tera::Kwargs, _: &tera::State| exception_names(&v),
    );
    tera.register_filter(
        "longest",
        |v: &[tera::Value], _: tera::Kwargs, _: &tera::State| {
            v.iter()
                .map(|x| x.as_str().map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        },
    );
    tera
}

/// `v` with every character that is not an ASCII letter or digit made `-`,
/// lower-cased.
fn dns_label(v: &str) -> String {
    v.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// One `AzurePodIdentityException` name per label value, in order:
/// `<value as a DNS label>-exception`, made unique with `-2`, `-3`... when
/// two values map to one name (`microsoft.flux` and `microsoft-flux`, `Flux`
/// and `flux`), so no two exceptions collide in kustomize or the cluster.
pub fn exception_names(values: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for v in values {
        let base = dns_label(v);
        let base = base.trim_matches('-');
        let base = if base.is_empty() { "flux" } else { base };
        let mut name = format!("{base}-exception");
        let mut n = 2;
        while out.contains(&name) {
            name = format!("{base}-{n}-exception");
            n += 1;
        }
        out.push(name);
    }
    out
}

/// How many `range` elements one pack render may loop over in all, and
/// how long it may take: a pack is code from elsewhere, and nested loops
/// must end with a clear error rather than run without bound.
pub const RANGE_BUDGET: u64 = 1_000_000;
pub const RENDER_TIME: Duration = Duration::from_secs(10);
/// The largest file one template may produce.
pub const MAX_OUTPUT: usize = 16 << 20;

thread_local! {
    static BUDGET: Cell<u64> = const { Cell::new(RANGE_BUDGET) };
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Start the bounds of one pack render on this thread.
pub fn reset_bounds() {
    BUDGET.with(|b| b.set(RANGE_BUDGET));
    DEADLINE.with(|d| d.set(Some(Instant::now() + RENDER_TIME)));
}

fn out_of_time() -> bool {
    DEADLINE.with(|d| d.get().is_some_and(|t| Instant::now() > t))
}

fn bound_error() -> String {
    format!(
        "the template's loops exceed the bound of {RANGE_BUDGET} iterations or {}s",
        RENDER_TIME.as_secs()
    )
}

/// tera's `range` (`start`, `end`, `step_by`), drawing on the render's budget.
fn bounded_range(kwargs: tera::Kwargs, _: &tera::State) -> tera::TeraResult<Vec<i64>> {
    let start = kwargs.get::<i64>("start")?.unwrap_or_default();
    let end = kwargs.must_get::<i64>("end")?;
    let step = kwargs.get::<i64>("step_by")?.unwrap_or(1);
    if step == 0 {
        return Err(tera::Error::message("range: step_by must not be 0"));
    }
    let span = i128::from(end) - i128::from(start);
    let len = if (span > 0) == (step > 0) && span != 0 {
        let step = i128::from(step).abs();
        (span.abs() + step - 1) / step
    } else {
        0
    };
    let len = u64::try_from(len).unwrap_or(u64::MAX);
    let left = BUDGET.with(|b| b.get());
    if len > left || out_of_time() {
        BUDGET.with(|b| b.set(0));
        return Err(tera::Error::message(bound_error()));
    }
    BUDGET.with(|b| b.set(left - len));
    Ok((0..len as i64).map(|i| start + i * step).collect())
}

/// A writer that refuses output past [`MAX_OUTPUT`] bytes or the render's
/// deadline, so a template cannot fill the disk or run on while writing.
pub struct Capped<'a>(pub &'a mut Vec<u8>);

impl std::io::Write for Capped<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + buf.len() > MAX_OUTPUT {
            return Err(std::io::Error::other(format!(
                "the output exceeds {} MiB",
                MAX_OUTPUT >> 20
            )));
        }
        if out_of_time() {
            return Err(std::io::Error::other(bound_error()));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An identifier for Bicep and Terraform: letters, digits and `_`, not
/// starting with a digit.
pub fn identifier(v: &str) -> String {
    let mut out: String = v
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert(0, '_');
    }
    out
}

/// A value quoted for `lang` and marked safe: strings are quoted, numbers
/// and booleans written as literals.
fn quote_value(lang: Lang, v: &tera::Value) -> tera::Value {
    if let Some(s) = v.as_str() {
        return tera::Value::safe_string(&lang.quote(s));
    }
    if v.is_number() || v.is_bool() {
        return tera::Value::safe_string(&v.to_string());
    }
    tera::Value::safe_string(&lang.quote(&v.to_string()))
}

/// A tera error as one line, with its causes.
pub fn flatten(e: &tera::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_skip_string_literals() {
        let ids =
            identifiers(r#""terraform" in iac and config_names | longest > 30 or x == 'a b'"#);
        assert_eq!(
            ids,
            ["in", "iac", "and", "config_names", "longest", "or", "x"]
        );
    }

    #[test]
    fn exception_names_are_unique_and_valid() {
        let names =
            |v: &[&str]| exception_names(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            names(&["flux-extension", "microsoft.flux"]),
            ["flux-extension-exception", "microsoft-flux-exception"]
        );
        assert_eq!(
            names(&["microsoft.flux", "microsoft-flux", "microsoft_flux"]),
            [
                "microsoft-flux-exception",
                "microsoft-flux-2-exception",
                "microsoft-flux-3-exception"
            ]
        );
        assert_eq!(
            names(&["Flux", "flux"]),
            ["flux-exception", "flux-2-exception"]
        );
        for n in names(&["a-2", "a", "a"]) {
            assert!(crate::validate::k8s_name(&n, 253).is_ok(), "{n}");
        }
        assert_eq!(
            names(&["a-2", "a", "a"]),
            ["a-2-exception", "a-exception", "a-3-exception"]
        );
    }
}
