//! Answers: where they come from (flags, files, recorded state, prompts,
//! defaults), how they are parsed by question type, and their validation.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{Error, Result};
use crate::expr;
use crate::pack::{Check, Manifest, Question, QuestionType};
use crate::pack_schema::ListItem;
use crate::validate;

pub use crate::values::{Answers, Value};

/// An answer before it is parsed: text from `--set` or a prompt, or a YAML
/// value from an answers file or recorded state.
#[derive(Debug, Clone)]
pub enum Raw {
    Text(String),
    Yaml(serde_yaml::Value),
}

/// Asks the user for an answer. The core calls it; a terminal front end
/// implements it. `None` means nobody can be asked.
pub trait Prompter {
    /// Ask `question`, proposing `default`; returns the value the user gave
    /// (already valid) or `None` when there is no one to ask.
    fn ask(&mut self, question: &Question, default: Option<&Value>) -> Result<Option<Value>>;

    /// Called once, before the first question of `manifest`.
    fn start(&mut self, _manifest: &Manifest) {}

    /// Every answer as it is settled (given, asked or defaulted), in
    /// question order: a front end may decide what to ask from them.
    fn settled(&mut self, _question: &Question, _value: &Value) {}

    /// Ask again for an answer (asked or defaulted) that a check refused as
    /// soon as its inputs were known; `why` is the check's message.
    /// `None`: nobody to ask, and the check fails the run as usual.
    fn reask(
        &mut self,
        _question: &Question,
        _default: Option<&Value>,
        _why: &str,
    ) -> Result<Option<Value>> {
        Ok(None)
    }
}

/// The prompter for scripts and CI: never asks.
pub struct NoPrompt;

impl Prompter for NoPrompt {
    fn ask(&mut self, _: &Question, _: Option<&Value>) -> Result<Option<Value>> {
        Ok(None)
    }
}

/// Answers the user already gave at prompts, given again without asking
/// (the confirmed write of an interactive run).
pub struct Replay(pub BTreeMap<String, Value>);

impl Prompter for Replay {
    fn ask(&mut self, question: &Question, _: Option<&Value>) -> Result<Option<Value>> {
        Ok(self.0.get(&question.key).cloned())
    }
}

/// Parse `key=value` flags into raw answers.
pub fn parse_sets(sets: &[String]) -> Result<BTreeMap<String, Raw>> {
    let mut out = BTreeMap::new();
    for s in sets {
        let (k, v) = s
            .split_once('=')
            .ok_or_else(|| Error::input(format!("--set '{s}' must have the form key=value")))?;
        out.insert(k.trim().to_string(), Raw::Text(v.to_string()));
    }
    Ok(out)
}

/// Read an answers file: a YAML mapping of key to value.
pub fn parse_answers_file(text: &str, origin: &str) -> Result<BTreeMap<String, Raw>> {
    if text.trim().is_empty() {
        return Ok(BTreeMap::new());
    }
    // Parsed as a YAML mapping first, which refuses a key given twice
    // (into a map directly, the last one would silently win).
    let map: serde_yaml::Mapping =
        serde_yaml::from_str(text).map_err(|e| Error::input(format!("{origin}: {e}")))?;
    map.into_iter()
        .map(|(k, v)| match k {
            serde_yaml::Value::String(k) => Ok((k, Raw::Yaml(v))),
            other => Err(Error::input(format!(
                "{origin}: key {other:?} is not a string"
            ))),
        })
        .collect()
}

/// Resolve every question of `manifest`, in order: a given answer, else
/// the prompter, else the default; then the pack's checks. A check whose
/// inputs are all settled runs at once: an answer it refuses that was not
/// given is asked again with the reason ([`Prompter::reask`]).
pub fn resolve(
    manifest: &Manifest,
    given: &BTreeMap<String, Raw>,
    prompter: &mut dyn Prompter,
) -> Result<Answers> {
    for key in given.keys() {
        if !manifest.questions.iter().any(|q| &q.key == key) {
            return Err(unknown_key(manifest, key));
        }
    }
    prompter.start(manifest);
    let ready = checks_by_last_input(manifest);
    let mut answers = Answers::default();
    let mut missing = Vec::new();
    let mut ctx = expr::context(manifest, &answers);
    for (i, q) in manifest.questions.iter().enumerate() {
        if !applies(manifest, q, &ctx)? {
            continue;
        }
        let default = match &q.default {
            // A default built on an answer still missing cannot be computed;
            // the missing answer is what gets reported.
            Some(d) => match default_value(manifest, q, d, &ctx, &answers) {
                Ok(v) => Some(v),
                Err(_) if !missing.is_empty() => continue,
                Err(e) => return Err(e),
            },
            None => None,
        };
        let value = if let Some(raw) = given.get(&q.key) {
            parse(q, raw).map_err(|why| answer_error(q, raw, &why))?
        } else {
            match prompter.ask(q, default.as_ref())? {
                Some(value) => value,
                None => match &default {
                    Some(value) => value.clone(),
                    None => {
                        missing.push(q);
                        continue;
                    }
                },
            }
        };
        let mut value = value;
        loop {
            check(q, &value)
                .map_err(|why| answer_error(q, &Raw::Text(value.to_flag_text()), &why))?;
            settle(&mut answers, &mut ctx, q, &value, default.as_ref());
            if given.contains_key(&q.key) || !missing.is_empty() {
                break;
            }
            let Some(why) = failing_check(manifest, &ready[i], &ctx)? else {
                break;
            };
            match prompter.reask(q, default.as_ref(), &why)? {
                Some(again) => value = again,
                None => break,
            }
        }
        if given.contains_key(&q.key) {
            answers.defaulted.remove(&q.key);
        }
        prompter.settled(q, &value);
    }
    if !missing.is_empty() {
        return Err(missing_answers(&missing));
    }
    let all: Vec<&Check> = manifest.checks.iter().collect();
    if let Some(msg) = failing_check(manifest, &all, &ctx)? {
        return Err(Error::input(msg));
    }
    Ok(answers)
}

/// Whether `q` is asked: its `when` holds for the answers so far.
fn applies(manifest: &Manifest, q: &Question, ctx: &tera::Context) -> Result<bool> {
    let Some(when) = &q.when else {
        return Ok(true);
    };
    expr::eval(when, ctx).map_err(|e| {
        Error::input(format!(
            "pack '{}': question '{}': when: {e}",
            manifest.name, q.key
        ))
    })
}

fn missing_answers(missing: &[&Question]) -> Error {
    let list: Vec<String> = missing
        .iter()
        .map(|q| format!("{} (--set {}=<{}>)", q.key, q.key, q.kind.name()))
        .collect();
    Error::input(format!("missing answers: {}", list.join(", ")))
}

fn unknown_key(manifest: &Manifest, key: &str) -> Error {
    let known: Vec<&str> = manifest.questions.iter().map(|q| q.key.as_str()).collect();
    let name = &manifest.name;
    Error::input(match crate::suggest::closest(key, known.iter().copied()) {
        Some(k) => format!("unknown answer '{key}' for pack '{name}': did you mean '{k}'?"),
        None => format!(
            "unknown answer '{key}' for pack '{name}' (known: {})",
            known.join(", ")
        ),
    })
}

/// Record `value` as the answer to `q`; it is a default when it equals it.
fn settle(
    answers: &mut Answers,
    ctx: &mut tera::Context,
    q: &Question,
    value: &Value,
    default: Option<&Value>,
) {
    if default == Some(value) {
        answers.defaulted.insert(q.key.clone());
    } else {
        answers.defaulted.remove(&q.key);
    }
    expr::set(ctx, q, value);
    answers.values.insert(q.key.clone(), value.clone());
}

/// The message of the first of `checks` that fails on `ctx`.
fn failing_check(
    manifest: &Manifest,
    checks: &[&Check],
    ctx: &tera::Context,
) -> Result<Option<String>> {
    for c in checks {
        let failed = expr::eval(&c.fail_when, ctx)
            .map_err(|e| Error::input(format!("pack '{}': check: {e}", manifest.name)))?;
        if failed {
            let msg = expr::render_text(&c.message, ctx).unwrap_or_else(|_| c.message.clone());
            return Ok(Some(msg));
        }
    }
    Ok(None)
}

/// For each question (by position), the checks whose last input it is:
/// they can run as soon as it is settled.
fn checks_by_last_input(manifest: &Manifest) -> Vec<Vec<&Check>> {
    let mut out = vec![Vec::new(); manifest.questions.len()];
    for c in &manifest.checks {
        let last = expr::identifiers(&c.fail_when)
            .iter()
            .filter_map(|id| manifest.questions.iter().position(|q| &q.key == id))
            .max();
        if let Some(i) = last {
            out[i].push(c);
        }
    }
    out
}

/// Refuse an answer the user gave (`given`) that the resolved answers do
/// not use because its question's `when` is false (`crds=remote` with the
/// AKS add-on): silently ignoring it would deploy something else than asked.
pub fn refuse_unused(
    manifest: &Manifest,
    given: &BTreeMap<String, Raw>,
    answers: &Answers,
) -> Result<()> {
    for key in given.keys() {
        if answers.values.contains_key(key) {
            continue;
        }
        if let Some(q) = manifest.questions.iter().find(|q| &q.key == key) {
            let when = q.when.as_deref().unwrap_or("true");
            return Err(Error::input(format!(
                "answer '{key}' does not apply to these answers: it is used only when {when}; drop it"
            )));
        }
    }
    Ok(())
}

fn answer_error(q: &Question, raw: &Raw, why: &str) -> Error {
    let shown = match raw {
        Raw::Text(t) => t.clone(),
        Raw::Yaml(v) => serde_yaml::to_string(v)
            .unwrap_or_default()
            .trim_end()
            .to_string(),
    };
    Error::input(format!("answer '{}' ({:?}) {why}", q.key, shown))
}

fn default_value(
    manifest: &Manifest,
    q: &Question,
    d: &serde_yaml::Value,
    ctx: &tera::Context,
    answers: &Answers,
) -> Result<Value> {
    let raw = match d {
        serde_yaml::Value::Sequence(items) if manifest.schema >= 2 => {
            let list = list_default(items, ctx, answers).map_err(|e| {
                Error::input(format!(
                    "pack '{}': default of '{}': {e}",
                    manifest.name, q.key
                ))
            })?;
            Raw::Yaml(serde_yaml::Value::Sequence(
                list.into_iter().map(serde_yaml::Value::String).collect(),
            ))
        }
        serde_yaml::Value::String(s) if s.contains("{{") || s.contains("{%") => {
            let text = expr::render_text(s, ctx).map_err(|e| {
                Error::input(format!(
                    "pack '{}': default of '{}': {e}",
                    manifest.name, q.key
                ))
            })?;
            Raw::Text(text)
        }
        other => Raw::Yaml(other.clone()),
    };
    parse(q, &raw).map_err(|why| {
        Error::input(format!(
            "pack '{}': the default of '{}' {why}",
            manifest.name, q.key
        ))
    })
}

/// The values of a schema 2 list default: each item as written, or
/// rendered when it uses answers (trimmed, and left out when empty), once
/// per value of its `each` answer (as `item`) and only where its `when`
/// holds.
fn list_default(
    items: &[serde_yaml::Value],
    ctx: &tera::Context,
    answers: &Answers,
) -> std::result::Result<Vec<String>, String> {
    let mut out = Vec::new();
    for item in items {
        let spec = match serde_yaml::from_value::<ListItem>(item.clone()) {
            Ok(ListItem::Spec(spec)) => spec,
            _ => {
                let text = yaml_scalar_text(item)?;
                if text.contains("{{") || text.contains("{%") {
                    out.extend(rendered_item(&text, ctx)?);
                } else {
                    out.push(text);
                }
                continue;
            }
        };
        let each: Vec<Option<&String>> = match &spec.each {
            None => vec![None],
            Some(key) => match answers.values.get(key) {
                Some(Value::List(values)) => values.iter().map(Some).collect(),
                _ => return Err(format!("each '{key}' has no list answer")),
            },
        };
        for value in each {
            let mut ctx = ctx.clone();
            if let Some(v) = value {
                ctx.insert("item", v);
            }
            if let Some(when) = &spec.when
                && !expr::eval(when, &ctx).map_err(|e| format!("when: {e}"))?
            {
                continue;
            }
            out.extend(rendered_item(&spec.value, &ctx)?);
        }
    }
    Ok(out)
}

fn rendered_item(text: &str, ctx: &tera::Context) -> std::result::Result<Option<String>, String> {
    let rendered = expr::render_text(text, ctx)?;
    let rendered = rendered.trim();
    Ok((!rendered.is_empty()).then(|| rendered.to_string()))
}

/// Parse and validate a raw answer for `q`.
pub fn parse(q: &Question, raw: &Raw) -> std::result::Result<Value, String> {
    let value = if q.is_list() {
        let items: Vec<String> = match raw {
            Raw::Text(t) => split_list(t),
            Raw::Yaml(serde_yaml::Value::Sequence(seq)) => {
                seq.iter()
                    .map(yaml_scalar_text)
                    .collect::<std::result::Result<_, _>>()?
            }
            Raw::Yaml(serde_yaml::Value::String(s)) => split_list(s),
            Raw::Yaml(_) => return Err("must be a list".into()),
        };
        Value::List(items)
    } else {
        match q.kind {
            QuestionType::Bool => Value::Bool(match raw {
                Raw::Yaml(serde_yaml::Value::Bool(b)) => *b,
                Raw::Text(t) | Raw::Yaml(serde_yaml::Value::String(t)) => {
                    match t.trim().to_ascii_lowercase().as_str() {
                        "true" | "yes" | "y" | "1" => true,
                        "false" | "no" | "n" | "0" => false,
                        _ => return Err("must be true or false".into()),
                    }
                }
                _ => return Err("must be true or false".into()),
            }),
            QuestionType::Int => Value::Int(match raw {
                Raw::Yaml(serde_yaml::Value::Number(n)) => {
                    n.as_i64().ok_or("must be a whole number")?
                }
                Raw::Text(t) | Raw::Yaml(serde_yaml::Value::String(t)) => {
                    t.trim().parse().map_err(|_| "must be a whole number")?
                }
                _ => return Err("must be a whole number".into()),
            }),
            _ => Value::Str(match raw {
                Raw::Text(t) => t.clone(),
                Raw::Yaml(v) => yaml_scalar_text(v)?,
            }),
        }
    };
    check(q, &value)?;
    Ok(normalize(q, value))
}

fn split_list(t: &str) -> Vec<String> {
    t.split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn yaml_scalar_text(v: &serde_yaml::Value) -> std::result::Result<String, String> {
    match v {
        serde_yaml::Value::String(s) => Ok(s.clone()),
        serde_yaml::Value::Number(n) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
        serde_yaml::Value::Bool(b) => Ok(b.to_string()),
        _ => Err("must be a string (quote it in YAML)".into()),
    }
}

/// Validate a typed value against its question.
pub fn check(q: &Question, value: &Value) -> std::result::Result<(), String> {
    match value {
        Value::List(items) => {
            if items.is_empty() {
                return Err("must have at least one value".into());
            }
            let mut seen = BTreeSet::new();
            for item in items {
                check_one(q, item).map_err(|why| format!("item {item:?} {why}"))?;
                // Several clusters may share a resource group.
                if !seen.insert(item) && q.kind != QuestionType::ResourceGroup {
                    return Err(format!("lists {item:?} twice"));
                }
            }
            Ok(())
        }
        Value::Str(s) => check_one(q, s),
        Value::Int(i) => {
            if let Some(min) = q.min
                && *i < min
            {
                return Err(format!("must be at least {min}"));
            }
            if let Some(max) = q.max
                && *i > max
            {
                return Err(format!("must be at most {max}"));
            }
            Ok(())
        }
        Value::Bool(_) => Ok(()),
    }
}

fn check_one(q: &Question, s: &str) -> std::result::Result<(), String> {
    validate::check_scalar(q, s)?;
    if let Some(p) = &q.pattern
        && !pattern_matches(p, s)?
    {
        return Err(format!("must match the pattern {p}"));
    }
    Ok(())
}

/// Whether `s` matches the whole of pattern `p`; patterns are compiled once per thread.
fn pattern_matches(p: &str, s: &str) -> std::result::Result<bool, String> {
    thread_local! {
        static COMPILED: std::cell::RefCell<std::collections::HashMap<String, regex::Regex>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    COMPILED.with(|cache| {
        let mut cache = cache.borrow_mut();
        if !cache.contains_key(p) {
            let re = regex::Regex::new(&format!("^(?:{p})$"))
                .map_err(|e| format!("has an invalid pattern in the pack: {e}"))?;
            cache.insert(p.to_string(), re);
        }
        Ok(cache[p].is_match(s))
    })
}

fn normalize(q: &Question, value: Value) -> Value {
    if q.kind != QuestionType::Path {
        return value;
    }
    match value {
        Value::Str(s) => Value::Str(validate::normalize_path(&s)),
        Value::List(l) => Value::List(l.iter().map(|s| validate::normalize_path(s)).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACK: &str = r#"
name: t
version: "1"
questions:
  - { key: a, prompt: A?, type: choice, choices: [x, y], default: x }
  - { key: b, prompt: B?, type: string }
  - { key: c, prompt: C?, type: string }
checks:
  - fail_when: a == "x" and b == "bad"
    message: "answer 'b' must not be bad with a=x"
files: []
"#;

    /// Answers `b` badly, then well when asked again; records the order.
    #[derive(Default)]
    struct Script(Vec<String>);

    impl Prompter for Script {
        fn ask(&mut self, q: &Question, _: Option<&Value>) -> Result<Option<Value>> {
            self.0.push(format!("ask {}", q.key));
            Ok((q.key != "a").then(|| Value::Str(if q.key == "b" { "bad" } else { "c" }.into())))
        }
        fn reask(&mut self, q: &Question, _: Option<&Value>, why: &str) -> Result<Option<Value>> {
            self.0.push(format!("reask {}: {why}", q.key));
            Ok(Some(Value::Str("good".into())))
        }
    }

    fn manifest() -> Manifest {
        serde_yaml::from_str(PACK).unwrap()
    }

    #[test]
    fn a_check_runs_as_soon_as_its_answers_are_known() {
        let mut p = Script::default();
        let answers = resolve(&manifest(), &BTreeMap::new(), &mut p).unwrap();
        assert_eq!(
            p.0,
            [
                "ask a",
                "ask b",
                "reask b: answer 'b' must not be bad with a=x",
                "ask c"
            ]
        );
        assert_eq!(answers.values["b"], Value::Str("good".into()));
        assert!(answers.defaulted.contains("a"));
    }

    #[test]
    fn a_given_answer_is_never_asked_again() {
        let given = BTreeMap::from([("b".to_string(), Raw::Text("bad".into()))]);
        let mut p = Script::default();
        let err = resolve(&manifest(), &given, &mut p).unwrap_err();
        assert_eq!(err.message, "answer 'b' must not be bad with a=x");
        assert_eq!(p.0, ["ask a", "ask c"]);
    }
}
