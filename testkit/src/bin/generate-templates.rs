//! Writes `template.yaml`, `foundation.yaml` and `event.yaml` from their
//! one source, `templates/` (see `testkit::templates`). With `--check`,
//! writes nothing and fails naming each template that differs from what it
//! would write.

use std::process::ExitCode;

use testkit::templates::{OUTPUTS, generate};

fn main() -> ExitCode {
    let check = std::env::args().any(|arg| arg == "--check");
    let root = testkit::workspace_root();
    let mut stale = Vec::new();
    for (output, skeleton) in OUTPUTS {
        let text = match generate(&root, skeleton) {
            Ok(text) => text,
            Err(why) => {
                eprintln!("generate-templates: {why}");
                return ExitCode::FAILURE;
            }
        };
        let path = root.join(output);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == text {
            continue;
        }
        if check {
            stale.push(output);
        } else if let Err(err) = std::fs::write(&path, text) {
            eprintln!("generate-templates: writing {output}: {err}");
            return ExitCode::FAILURE;
        } else {
            println!("generate-templates: wrote {output}");
        }
    }
    if stale.is_empty() {
        return ExitCode::SUCCESS;
    }
    eprintln!(
        "generate-templates: {} not what templates/ makes: run `cargo run -p testkit --bin generate-templates`",
        stale.join(", ")
    );
    ExitCode::FAILURE
}
