//! Split shell scripts into commands and words as a POSIX shell would, for
//! the simple scripts the tool generates (quotes, backslashes, line
//! continuations, comments).

/// The commands of a script, each as its list of words.
pub fn commands(script: &str) -> Vec<Vec<String>> {
    let mut cmds = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = script.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(n) => {
                    cur.push(n);
                    in_word = true;
                }
                None => {}
            },
            '\'' => {
                in_word = true;
                for n in chars.by_ref() {
                    if n == '\'' {
                        break;
                    }
                    cur.push(n);
                }
            }
            '"' => {
                in_word = true;
                while let Some(n) = chars.next() {
                    match n {
                        '"' => break,
                        '\\' if matches!(chars.peek(), Some('"' | '\\' | '$' | '`')) => {
                            cur.push(chars.next().unwrap())
                        }
                        '$' | '`' => panic!("expansion inside double quotes: {script}"),
                        _ => cur.push(n),
                    }
                }
            }
            '#' if !in_word => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
                if !words.is_empty() {
                    cmds.push(std::mem::take(&mut words));
                }
            }
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\n' | ';' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
                if !words.is_empty() {
                    cmds.push(std::mem::take(&mut words));
                }
            }
            '$' | '`' | '|' | '&' | '>' | '<' | '(' | ')' | '*' | '?' | '[' | '{' | '~' => {
                if !in_word && matches!(c, '{' | '~' | '[') {
                    cur.push(c);
                    in_word = true;
                } else if c == '?' || c == '*' || c == '[' {
                    panic!("unquoted glob character {c:?} in {script}");
                } else if c == '{' || c == '~' {
                    cur.push(c);
                } else {
                    panic!("unquoted shell metacharacter {c:?} in {script}");
                }
            }
            _ => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    if !words.is_empty() {
        cmds.push(words);
    }
    cmds
}

/// The `az aks pod-identity exception add` calls of the add-on's exception
/// script: each `add_exception GROUP CLUSTER NAMESPACE NAME LABEL` line as
/// the az words its helper runs when the cluster lacks that exception (the
/// helper itself runs against a stub az in tests/addon_exception.rs).
pub fn exception_adds(script: &str) -> Vec<Vec<String>> {
    let calls: String = script
        .lines()
        .filter(|l| l.starts_with("add_exception "))
        .map(|l| format!("{l}\n"))
        .collect();
    let flags = [
        "--resource-group",
        "--cluster-name",
        "--namespace",
        "--name",
        "--pod-labels",
    ];
    commands(&calls)
        .into_iter()
        .map(|c| {
            assert_eq!(c.len(), 6, "add_exception takes five values: {c:?}");
            let mut w: Vec<String> = ["az", "aks", "pod-identity", "exception", "add"]
                .map(String::from)
                .to_vec();
            for (flag, v) in flags.iter().zip(&c[1..]) {
                w.push(flag.to_string());
                w.push(v.clone());
            }
            w
        })
        .collect()
}

#[test]
fn splits_like_a_shell() {
    let c = commands("set -e\naz x \\\n  --a 'b c' it\\'s \"d\"  # note\n");
    assert_eq!(
        c,
        vec![
            vec!["set", "-e"],
            vec!["az", "x", "--a", "b c", "it's", "d"]
        ]
    );
}
