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
        let abs = dir.join(f);
        out.push_str(&format!(
            "    ({:?}, include_str!({:?})),\n",
            format!("patterns/{f}"),
            abs.to_str().expect("UTF-8 path")
        ));
    }
    out.push_str("]\n");
    let dst = Path::new(&std::env::var("OUT_DIR").expect("set by cargo")).join("builtin_rules.rs");
    std::fs::write(dst, out).expect("OUT_DIR is writable");
}
