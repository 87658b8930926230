//! Embeds every rule file in `patterns/`: adding a family is adding a file.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=patterns");
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo");
    let dir = Path::new(&root).join("patterns");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("patterns/ is readable")
        .map(|e| {
            e.expect("patterns/ entry")
                .file_name()
                .into_string()
                .expect("UTF-8 name")
        })
        .filter(|n| n.ends_with(".toml"))
        .collect();
    files.sort();
    let mut out = String::from("&[\n");
    for f in &files {
        // The path is resolved when the crate compiles, not here: output
        // that names this checkout's absolute path would go stale if the
        // same target directory builds another checkout.
        let rel = format!("patterns/{f}");
        out.push_str(&format!(
            "    ({rel:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), {:?}))),\n",
            format!("/{rel}")
        ));
    }
    out.push_str("]\n");
    let dst = Path::new(&std::env::var("OUT_DIR").expect("set by cargo")).join("builtin_rules.rs");
    std::fs::write(dst, out).expect("OUT_DIR is writable");
}
