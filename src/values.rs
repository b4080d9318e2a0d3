//! The values answers take and the set of them a run resolves: shared by
//! the resolution of answers and the expressions evaluated over them, so
//! neither needs the other's module.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// One answer, typed by its question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Str(String),
    List(Vec<String>),
}

impl Value {
    /// The value as a user would type it after `--set key=`.
    pub fn to_flag_text(&self) -> String {
        match self {
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Str(s) => s.clone(),
            Value::List(l) => l.join(","),
        }
    }
}

/// The resolved answers of a pack.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answers {
    /// Every answer in force, by key.
    pub values: BTreeMap<String, Value>,
    /// Keys whose value is the pack's default, not the user's choice.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub defaulted: BTreeSet<String>,
}
