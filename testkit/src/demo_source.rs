//! The stack's own test source, rendered by `deployment/render-demo-source.sh`
//! (the same script `build-s3-dist.sh` runs) once per process into
//! `target/demo-source/`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The rendered file; renders it on first use. Needs ffmpeg
/// (`./deployment/bootstrap.sh --media-tools`).
pub fn rendered() -> &'static PathBuf {
    static RENDERED: OnceLock<PathBuf> = OnceLock::new();
    RENDERED.get_or_init(|| {
        let root = crate::workspace_root();
        let out = root.join(format!("target/demo-source/{}/demo-source.mp4", std::process::id()));
        render(&out).unwrap_or_else(|why| panic!("{why}"));
        out
    })
}

/// Renders the test source into `out` with the project's script.
pub fn render(out: &std::path::Path) -> Result<(), String> {
    let script = crate::workspace_root().join("deployment/render-demo-source.sh");
    let done = Command::new(&script)
        .arg(out)
        .output()
        .map_err(|err| format!("running {}: {err}", script.display()))?;
    if !done.status.success() {
        return Err(format!(
            "{} failed ({}): {}; it needs ffmpeg (./deployment/bootstrap.sh --media-tools)",
            script.display(),
            done.status,
            String::from_utf8_lossy(&done.stderr).trim()
        ));
    }
    Ok(())
}
