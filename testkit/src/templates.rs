//! The three deployable templates, made from one source: `templates/`
//! holds a skeleton per template (`template.yaml.in`, …) and the parts
//! they share (`templates/parts/`). A small text preprocessor joins them,
//! so every comment and every logical id stays where a reader expects it:
//!
//! - `#= name: value` in a skeleton sets a variable for the whole
//!   template; `#= flags: a b c` sets flags.
//! - `{{name}}` anywhere is replaced by the variable's value.
//! - A line `#+ include <part> [name=value ...]` is replaced by the part's
//!   lines (its path may hold variables), each indented as the directive is; `name=value` pairs are
//!   variables inside the part (a value may be quoted to hold spaces).
//!   `#+ include <part> if=<flag>` (or `if=!<flag>`) includes it only when
//!   the template has (or has not) the flag.
//! - A line ending in `#? <flag>` (or `#? !<flag>`) is kept, without the
//!   marker, only when the template has (or has not) the flag.
//!
//! The outputs are committed with a header saying how they are made; the
//! test command checks that they are what this writes today.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What every generated template starts with.
pub const HEADER: &str = "# Generated from templates/ by `cargo run -p testkit --bin generate-templates`:\n# edit the sources there, not this file.\n";

/// The deployable templates and their skeletons, relative to the workspace.
pub const OUTPUTS: [(&str, &str); 3] = [
    ("template.yaml", "templates/template.yaml.in"),
    ("foundation.yaml", "templates/foundation.yaml.in"),
    ("event.yaml", "templates/event.yaml.in"),
];

#[derive(Debug, Default, Clone)]
struct Context {
    variables: BTreeMap<String, String>,
    flags: BTreeSet<String>,
}

impl Context {
    fn holds(&self, condition: &str) -> bool {
        match condition.strip_prefix('!') {
            Some(flag) => !self.flags.contains(flag),
            None => self.flags.contains(condition),
        }
    }
}

/// `skeleton` (read from `root`), with every part included and every
/// variable replaced.
pub fn generate(root: &Path, skeleton: &str) -> Result<String, String> {
    let text = read(root, skeleton)?;
    let mut context = Context::default();
    for line in text.lines() {
        let Some(setting) = line.trim_start().strip_prefix("#=") else {
            continue;
        };
        let (name, value) = setting
            .split_once(':')
            .ok_or_else(|| format!("{skeleton}: {line:?} is not `#= name: value`"))?;
        let (name, value) = (name.trim(), value.trim());
        if name == "flags" {
            context.flags.extend(value.split_whitespace().map(str::to_owned));
        } else {
            context.variables.insert(name.to_owned(), value.to_owned());
        }
    }
    let mut out = String::from(HEADER);
    expand(root, skeleton, &text, "", &context, &mut out, 0)?;
    Ok(out)
}

fn read(root: &Path, path: &str) -> Result<String, String> {
    std::fs::read_to_string(root.join(path)).map_err(|err| format!("{path}: {err}"))
}

fn expand(
    root: &Path,
    source: &str,
    text: &str,
    indent: &str,
    context: &Context,
    out: &mut String,
    depth: usize,
) -> Result<(), String> {
    if depth > 8 {
        return Err(format!("{source}: includes nest too deep"));
    }
    for (number, line) in text.lines().enumerate() {
        let at = || format!("{source}:{}", number + 1);
        let trimmed = line.trim_start();
        if trimmed.starts_with("#=") {
            continue;
        }
        if let Some(directive) = trimmed.strip_prefix("#+ include ") {
            let own_indent = &line[..line.len() - trimmed.len()];
            let mut words = split_words(directive).map_err(|why| format!("{}: {why}", at()))?;
            if words.is_empty() {
                return Err(format!("{}: include what?", at()));
            }
            let part = format!("templates/parts/{}", substitute(&words.remove(0), context, &at())?);
            let mut inner = context.clone();
            let mut wanted = true;
            for word in words {
                let (name, value) = word
                    .split_once('=')
                    .ok_or_else(|| format!("{}: {word:?} is not name=value", at()))?;
                if name == "if" {
                    wanted = context.holds(&substitute(value, context, &at())?);
                } else {
                    inner
                        .variables
                        .insert(name.to_owned(), substitute(value, context, &at())?);
                }
            }
            if wanted {
                let text = read(root, &part)?;
                expand(
                    root,
                    &part,
                    &text,
                    &format!("{indent}{own_indent}"),
                    &inner,
                    out,
                    depth + 1,
                )?;
            }
            continue;
        }
        let (content, condition) = match line.rsplit_once(" #? ") {
            Some((content, condition)) => (content.trim_end(), Some(condition.trim())),
            None => (line, None),
        };
        if let Some(condition) = condition
            && !context.holds(&substitute(condition, context, &at())?)
        {
            continue;
        }
        let content = substitute(content, context, &at())?;
        if content.trim().is_empty() {
            out.push('\n');
        } else {
            out.push_str(indent);
            out.push_str(&content);
            out.push('\n');
        }
    }
    Ok(())
}

/// `text` with every `{{name}}` replaced.
fn substitute(text: &str, context: &Context, at: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("}}")
            .ok_or_else(|| format!("{at}: an unclosed {{{{"))?;
        let name = rest[start + 2..start + end].trim();
        let value = context
            .variables
            .get(name)
            .ok_or_else(|| format!("{at}: no variable {name}"))?;
        out.push_str(value);
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Words separated by spaces; a value in double quotes keeps its spaces.
fn split_words(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            other => word.push(other),
        }
    }
    if quoted {
        return Err("an unclosed quote".to_owned());
    }
    if !word.is_empty() {
        words.push(word);
    }
    Ok(words)
}

/// How many substantive lines standing again make a copy.
pub const COPY_RUN: usize = 6;

/// Every source of the templates: the skeletons and the parts.
pub fn sources(root: &Path) -> Result<Vec<String>, String> {
    fn walk(root: &Path, dir: &str, out: &mut Vec<String>) -> Result<(), String> {
        let entries = std::fs::read_dir(root.join(dir)).map_err(|err| format!("{dir}: {err}"))?;
        for entry in entries {
            let entry = entry.map_err(|err| err.to_string())?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = format!("{dir}/{name}");
            if entry.path().is_dir() {
                walk(root, &path, out)?;
            } else if name.ends_with(".yaml") || name.ends_with(".yaml.in") {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(root, "templates", &mut out)?;
    out.sort();
    Ok(out)
}

/// A source's substantive lines, with where each stands: comments
/// (directives included: they only say where the one copy goes), blank
/// lines and indentation dropped.
fn substantive(text: &str) -> Vec<(usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(n, line)| (n + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .collect()
}

/// Where the sources repeat themselves, one line each: a run of
/// [`COPY_RUN`] or more substantive lines in two places, a resource (a
/// logical id with a `Type`) defined twice, a policy statement (its `Sid`)
/// written twice. Empty when everything is written once.
pub fn copies(root: &Path) -> Result<Vec<String>, String> {
    let mut found = Vec::new();
    let mut runs: BTreeMap<Vec<&str>, String> = BTreeMap::new();
    let mut resources: BTreeMap<String, String> = BTreeMap::new();
    let mut statements: BTreeMap<String, String> = BTreeMap::new();
    let texts: Vec<(String, String)> = sources(root)?
        .into_iter()
        .map(|path| read(root, &path).map(|text| (path, text)))
        .collect::<Result<_, _>>()?;
    for (path, text) in &texts {
        let lines = substantive(text);
        let mut last_reported = 0;
        for window in lines.windows(COPY_RUN) {
            let key: Vec<&str> = window.iter().map(|(_, line)| *line).collect();
            let here = format!("{path}:{}", window[0].0);
            match runs.get(&key) {
                Some(first) if window[0].0 > last_reported => {
                    found.push(format!("{here}: {COPY_RUN} lines stand again at {first}"));
                    last_reported = window[COPY_RUN - 1].0;
                }
                Some(_) => {}
                None => {
                    runs.insert(key, here);
                }
            }
        }
        for pair in lines.windows(2) {
            let ((number, line), (_, next)) = (pair[0], pair[1]);
            let Some(id) = line
                .strip_suffix(':')
                .filter(|id| !id.contains(' ') && !id.contains('{'))
            else {
                continue;
            };
            if !(next.starts_with("Type: AWS::") || next.starts_with("Type: Custom::")) {
                continue;
            }
            let here = format!("{path}:{number}");
            if let Some(first) = resources.insert(id.to_owned(), here.clone()) {
                found.push(format!("{here}: resource {id} is defined at {first} too"));
            }
        }
        for (number, line) in &lines {
            let Some(sid) = line
                .trim_start_matches("- ")
                .strip_prefix("Sid: ")
                .filter(|sid| !sid.contains("{{"))
            else {
                continue;
            };
            let here = format!("{path}:{number}");
            if let Some(first) = statements.insert(sid.to_owned(), here.clone()) {
                found.push(format!("{here}: statement {sid} is written at {first} too"));
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> std::path::PathBuf {
        let root = std::env::temp_dir().join(format!(
            "templates-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        ));
        for (path, text) in files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        root
    }

    #[test]
    fn parts_are_indented_where_they_go_with_their_variables_and_flags() {
        let root = tree(&[
            (
                "templates/a.yaml.in",
                "#= flags: one\n#= who: world\nTop:\n  #+ include p/x.yaml name=Thing\n  kept: yes #? one\n  dropped: yes #? !one\n  #+ include p/x.yaml if=two name=Never\n",
            ),
            (
                "templates/parts/p/x.yaml",
                "{{name}}:\n  Hello: {{who}} # a comment stays\n\n  Only: here #? one\n",
            ),
        ]);
        let text = generate(&root, "templates/a.yaml.in").unwrap();
        assert_eq!(
            text,
            format!("{HEADER}Top:\n  Thing:\n    Hello: world # a comment stays\n\n    Only: here\n  kept: yes\n")
        );
        let missing = tree(&[("templates/b.yaml.in", "X: {{nobody}}\n")]);
        let err = generate(&missing, "templates/b.yaml.in").unwrap_err();
        assert!(
            err.contains("no variable nobody") && err.contains("b.yaml.in:1"),
            "{err}"
        );
    }

    #[test]
    fn a_copy_a_second_definition_or_a_second_statement_is_found() {
        let block =
            "- Sid: Same\n  Effect: Allow\n  Action: s3:GetObject\n  Resource: '*'\n  Condition:\n    Bool: { x: y }\n";
        let root = tree(&[
            (
                "templates/a.yaml.in",
                &format!("Thing:\n  Type: AWS::S3::Bucket\nStatements:\n{block}"),
            ),
            (
                "templates/parts/b.yaml",
                &format!("# once more\nThing:\n  Type: AWS::S3::Bucket\n{block}"),
            ),
        ]);
        let found = copies(&root).unwrap();
        let said = found.join("\n");
        assert!(said.contains("lines stand again"), "{said}");
        assert!(said.contains("resource Thing is defined"), "{said}");
        assert!(said.contains("statement Same is written"), "{said}");
    }
}
