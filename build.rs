//! The demo player's libraries (hls.js, dash.js) come from the npm registry,
//! pinned in player/package-lock.json and installed into player/node_modules
//! by deployment/bootstrap.sh (`npm ci`); src/kinds/demo_player.rs compiles
//! them into the binary. This script stops the build with a clear message
//! when they are missing or do not match their pins.

use std::path::Path;

/// (package, file the binary includes)
const BUNDLED: &[(&str, &str)] = &[
    ("hls.js", "dist/hls.min.js"),
    ("hls.js", "LICENSE"),
    ("dashjs", "dist/modern/umd/dash.all.min.js"),
    ("dashjs", "dist/modern/umd/dash.mss.min.js"),
    ("dashjs", "LICENSE.md"),
];

fn main() {
    let player = Path::new(env!("CARGO_MANIFEST_DIR")).join("player");
    println!("cargo:rerun-if-changed=player/package.json");
    println!("cargo:rerun-if-changed=player/package-lock.json");
    println!("cargo:rerun-if-changed=player/src");
    let manifest = read(&player.join("package.json"));
    for (package, file) in BUNDLED {
        let installed = player.join("node_modules").join(package);
        let path = installed.join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        if !path.is_file() {
            fail(&format!("{} is missing", path.display()));
        }
        let pinned = version_of(&manifest, package)
            .unwrap_or_else(|| fail(&format!("player/package.json does not pin {package}")));
        let found = version_of(&read(&installed.join("package.json")), "version");
        if found.as_deref() != Some(pinned.as_str()) {
            fail(&format!(
                "player/node_modules holds {package} {}, but player/package.json pins {pinned}",
                found.as_deref().unwrap_or("of no known version")
            ));
        }
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|err| fail(&format!("{}: {err}", path.display())))
}

/// The string after `"<key>":` in a package.json (flat enough for this).
fn version_of(json: &str, key: &str) -> Option<String> {
    let after = json.split(&format!("\"{key}\"")).nth(1)?;
    let value = after.trim_start().strip_prefix(':')?.trim_start().strip_prefix('"')?;
    Some(value.split('"').next()?.to_owned())
}

fn fail(problem: &str) -> ! {
    panic!(
        "the demo player's libraries are not installed as pinned: {problem}.\n\
         Run ./deployment/bootstrap.sh (it runs `npm ci` in player/; needs Node.js 20 and npm)."
    )
}
