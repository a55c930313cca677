//! The three deployable templates come from one source, `templates/`
//! (see `testkit::templates`): each is what the generator writes today,
//! and the source writes every resource, policy statement and run of
//! lines once.

use std::path::{Path, PathBuf};

use testkit::templates::{COPY_RUN, OUTPUTS, copies, generate, sources};

fn root() -> PathBuf {
    testkit::workspace_root()
}

#[test]
fn each_template_is_what_its_source_makes_today() {
    for (output, skeleton) in OUTPUTS {
        let made = generate(&root(), skeleton).unwrap();
        let committed = std::fs::read_to_string(root().join(output)).unwrap();
        assert!(
            made == committed,
            "{output} is not what {skeleton} makes: edit templates/, then run `cargo run -p testkit --bin generate-templates`"
        );
        assert!(
            committed.starts_with("# Generated from templates/"),
            "{output} says how it is made"
        );
    }
}

#[test]
fn every_resource_statement_and_run_of_lines_is_written_once() {
    let found = copies(&root()).unwrap();
    assert!(found.is_empty(), "written more than once:\n  {}", found.join("\n  "));
    assert!(sources(&root()).unwrap().len() > 20, "the parts are read");
}

/// `from` copied to `to`, recursively.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn a_copy_planted_in_the_sources_is_found() {
    let scratch = std::env::temp_dir().join(format!("template-source-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    copy_tree(&root().join("templates"), &scratch.join("templates"));
    // A part's lines pasted into another part, as a careless edit would.
    let part = std::fs::read_to_string(scratch.join("templates/parts/resources/cloudfront.yaml")).unwrap();
    let pasted: Vec<&str> = part.lines().skip(1).take(COPY_RUN + 4).collect();
    let victim = scratch.join("templates/parts/resources/guard.yaml");
    let mut text = std::fs::read_to_string(&victim).unwrap();
    text.push_str(&pasted.join("\n"));
    std::fs::write(&victim, text).unwrap();
    let found = copies(&scratch).unwrap();
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(
        found
            .iter()
            .any(|f| f.contains("guard.yaml") && f.contains("cloudfront.yaml")),
        "{found:#?}"
    );
    assert!(found.iter().any(|f| f.contains("resource LogsBucket")), "{found:#?}");
}
