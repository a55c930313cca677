//! Checks encoding-profile files against MediaLive's model, as the handler
//! will read them: every key the model does not know (it would be dropped
//! silently) and every enum value it does not know, with its JSON path.
//!
//! Each file is checked twice: as written (MediaPackage v1, HLS ingest) and
//! as re-cut for MediaPackage v2 (CMAF ingest, one track per output).
//!
//! Usage: validate-profile [FILE ...]   (no FILE: the bundled profiles)
//! Exit status: 0 when every file is sound, 1 otherwise.

use std::process::ExitCode;

use livestream_resources::profiles::{self, Ingest, PROFILES};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    let inputs: Vec<(String, Result<String, String>)> = if files.is_empty() {
        PROFILES
            .iter()
            .map(|p| (format!("{} (bundled {})", p.name, p.file), Ok(p.json.to_owned())))
            .collect()
    } else {
        files
            .into_iter()
            .map(|file| {
                let text = std::fs::read_to_string(&file).map_err(|err| err.to_string());
                (file, text)
            })
            .collect()
    };

    let mut sound = true;
    let forms = inputs.into_iter().flat_map(|(name, text)| {
        [(Ingest::Hls, "MediaPackage v1"), (Ingest::Cmaf, "MediaPackage v2")].map(|(ingest, packager)| {
            let text = text
                .clone()
                .and_then(|t| profiles::text_for(&t, ingest).map_err(|err| err.to_string()));
            (format!("{name} for {packager}"), text)
        })
    });
    for (name, text) in forms {
        let verdict = match text {
            Err(err) => Err(err),
            Ok(text) => profiles::check(&text).await.map_err(|err| err.to_string()),
        };
        match verdict {
            Ok(problems) if problems.is_empty() => println!("{name}: ok"),
            Ok(problems) => {
                sound = false;
                println!("{name}: {} problem(s)", problems.len());
                for problem in problems {
                    println!("  {problem}");
                }
            }
            Err(err) => {
                sound = false;
                println!("{name}: {err}");
            }
        }
    }
    if sound { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
