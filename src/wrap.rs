//! Text broken into lines that fit a width (help under a prompt, in
//! `packs show`, in the man pages' tables).

use console::measure_text_width;

/// `text` as lines of at most `width` columns, broken between words (a
/// word longer than a line is broken inside).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(10);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_string();
        while measure_text_width(&word) > width {
            let cut: String = word.chars().take(width).collect();
            word = word[cut.len()..].to_string();
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            lines.push(cut);
        }
        let needed = measure_text_width(&line) + 1 + measure_text_width(&word);
        if !line.is_empty() && needed > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn help_breaks_between_words() {
        let lines = wrap("the exception must exist before Flux does", 20);
        assert_eq!(lines, ["the exception must", "exist before Flux", "does"]);
        assert!(wrap(&"x".repeat(25), 10).iter().all(|l| l.len() <= 10));
    }
}
