//! The check's lines, as words for a terminal or as JSON.

use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// ✓
    Holds,
    /// ✗, with a fix.
    Broken,
    /// –: cannot be judged yet (the channel has not run, say).
    NotYet,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub verdict: Verdict,
    /// What part is checked: `stack`, `guard`, `alarms`, `cost`, …
    pub part: &'static str,
    pub detail: String,
    /// What to do; set on every ✗.
    pub fix: Option<String>,
}

impl Line {
    pub fn holds(part: &'static str, detail: impl Into<String>) -> Self {
        Line {
            verdict: Verdict::Holds,
            part,
            detail: detail.into(),
            fix: None,
        }
    }

    pub fn fail(part: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Line {
            verdict: Verdict::Broken,
            part,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    pub fn not_yet(part: &'static str, detail: impl Into<String>) -> Self {
        Line {
            verdict: Verdict::NotYet,
            part,
            detail: detail.into(),
            fix: None,
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub lines: Vec<Line>,
}

impl Report {
    pub fn push(&mut self, line: Line) {
        self.lines.push(line);
    }

    pub fn extend(&mut self, lines: Vec<Line>) {
        self.lines.extend(lines);
    }

    /// Whether any check is ✗: the command exits non-zero.
    pub fn broken(&self) -> bool {
        self.lines.iter().any(|line| line.verdict == Verdict::Broken)
    }

    /// One line a check, its fix indented under a ✗.
    pub fn words(&self) -> String {
        let mut text = String::new();
        for line in &self.lines {
            let mark = match line.verdict {
                Verdict::Holds => "✓",
                Verdict::Broken => "✗",
                Verdict::NotYet => "–",
            };
            text.push_str(&format!("{mark} {}: {}\n", line.part, line.detail));
            if let Some(fix) = &line.fix {
                text.push_str(&format!("    fix: {fix}\n"));
            }
        }
        text
    }

    pub fn json(&self) -> Value {
        let lines: Vec<Value> = self
            .lines
            .iter()
            .map(|line| {
                json!({
                    "verdict": match line.verdict {
                        Verdict::Holds => "holds",
                        Verdict::Broken => "broken",
                        Verdict::NotYet => "not-yet",
                    },
                    "part": line.part,
                    "detail": line.detail,
                    "fix": line.fix,
                })
            })
            .collect();
        json!({ "broken": self.broken(), "checks": lines })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_check_says_its_fix_and_fails_the_report() {
        let mut report = Report::default();
        report.push(Line::holds("stack", "live is CREATE_COMPLETE"));
        report.push(Line::not_yet("alarms", "the channel has not run yet"));
        assert!(!report.broken());
        report.push(Line::fail(
            "guard",
            "rule r is DISABLED",
            "aws events enable-rule --name r",
        ));
        assert!(report.broken());
        assert_eq!(
            report.words(),
            "✓ stack: live is CREATE_COMPLETE\n– alarms: the channel has not run yet\n✗ guard: rule r is DISABLED\n    fix: aws events enable-rule --name r\n"
        );
        assert_eq!(report.json()["checks"][2]["verdict"], "broken");
        assert_eq!(report.json()["broken"], true);
    }
}
