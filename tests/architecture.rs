//! The house by layers, checked: which file imports which, read from the
//! sources (`use crate::…`, `crate::…` paths, `super::…`, and a folder's
//! `mod.rs` naming its own files). It fails on an import cycle between
//! files, on an import the layer table below does not allow, and on more
//! than 8 files at the top of `src/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each layer (a folder of `src/`, or a top-level file), its job, and the
/// layers it may import. Data flows one way: tokens → rules → engine →
/// scan → findings → sources → what acts on findings → the command line.
const LAYERS: &[(&str, &str, &[&str])] = &[
    ("error", "the error types", &[]),
    ("fsutil", "opening and writing files safely", &[]),
    ("webhook", "Standard Webhooks signing", &[]),
    (
        "net",
        "URL checks, the one HTTP client, signed webhook POSTs, Retry-After",
        &["error", "webhook"],
    ),
    (
        "settings",
        "burnkey.toml, the one settings document",
        &["error", "fsutil"],
    ),
    (
        "token",
        "the token core: checksums, layouts, formats, scopes",
        &["error"],
    ),
    (
        "rules",
        "rule files: parsing, keyword rule data",
        &["token", "error"],
    ),
    (
        "issuer",
        "records, stores and the verifier of an issuing service",
        &["token", "error", "fsutil"],
    ),
    (
        "engine",
        "finding candidates in bytes: prefilter, confirm, keywords, decoders",
        &["token", "rules"],
    ),
    (
        "scan",
        "the scanner: streams, parts, containers, settings",
        &["engine", "rules", "token", "findings", "error"],
    ),
    (
        "findings",
        "findings, stats, the sink, allowlists, baselines",
        &["engine", "rules", "token", "error", "fsutil"],
    ),
    (
        "source",
        "what is scanned: the walk, stdin, git and its history",
        &[
            "scan", "findings", "engine", "rules", "token", "error", "fsutil",
        ],
    ),
    (
        "redact",
        "the streaming filter",
        &["scan", "engine", "rules", "token"],
    ),
    (
        "agent",
        "AI coding agents' hooks: their events, answers that keep tokens out, their configs",
        &["redact", "scan", "findings", "rules", "token", "fsutil"],
    ),
    (
        "providers",
        "one file a vendor: checks, pairing, revocation, API base",
        &["findings", "rules", "net", "error"],
    ),
    (
        "live",
        "asking providers whether a token works",
        &[
            "providers",
            "findings",
            "engine",
            "rules",
            "token",
            "net",
            "error",
        ],
    ),
    (
        "revoke",
        "revocation: configuration, the outbox, delivery",
        &[
            "providers",
            "findings",
            "engine",
            "token",
            "net",
            "webhook",
            "settings",
            "error",
            "fsutil",
        ],
    ),
    (
        "report",
        "report formats",
        &["findings", "engine", "rules", "token", "error"],
    ),
    (
        "serve",
        "the issuer's receiver",
        &[
            "issuer", "token", "rules", "net", "webhook", "settings", "error", "fsutil",
        ],
    ),
    (
        "cli",
        "the command line, wiring the layers together",
        &[
            "agent",
            "source",
            "scan",
            "findings",
            "engine",
            "rules",
            "token",
            "issuer",
            "providers",
            "live",
            "revoke",
            "report",
            "redact",
            "serve",
            "net",
            "webhook",
            "settings",
            "error",
            "fsutil",
        ],
    ),
];

/// A module path (`scan::parts`; the crate root is empty) and its file.
type Modules = BTreeMap<Vec<String>, PathBuf>;

fn modules(src: &Path) -> Modules {
    let mut out = Modules::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|x| x != "rs") {
                continue;
            }
            let rel = p.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|l| l == "mod") {
                parts.pop();
            }
            if parts == ["lib"] || parts == ["main"] {
                if parts == ["main"] {
                    continue;
                }
                parts.clear();
            }
            out.insert(parts, p);
        }
    }
    out
}

/// The code that counts: comments and the test module taken out.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(at) => &l[..at],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `a::b::{c, d::e}` expanded to paths.
fn expand(tree: &str, prefix: &[String], out: &mut Vec<Vec<String>>) {
    let mut items = Vec::new();
    let (mut depth, mut cur) = (0, String::new());
    for ch in tree.chars().filter(|c| !c.is_whitespace()) {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if ch == ',' && depth == 0 {
            items.push(std::mem::take(&mut cur));
        } else {
            cur.push(ch);
        }
    }
    items.push(cur);
    for it in items.into_iter().filter(|i| !i.is_empty()) {
        match it.find('{') {
            Some(at) => {
                let mut p = prefix.to_vec();
                p.extend(
                    it[..at]
                        .split("::")
                        .filter(|s| !s.is_empty())
                        .map(String::from),
                );
                expand(&it[at + 1..it.len() - 1], &p, out);
            }
            None => {
                let mut p = prefix.to_vec();
                p.extend(
                    it.split("::")
                        .filter(|s| !s.is_empty() && *s != "self")
                        .map(|s| s.split(" as ").next().unwrap().to_string()),
                );
                out.push(p);
            }
        }
    }
}

/// Every `KEYWORD::a::b` path in `code` (the part after the keyword).
fn paths_after(code: &str, keyword: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find(keyword) {
        let start = from + at;
        from = start + keyword.len();
        if code[..start]
            .chars()
            .next_back()
            .is_some_and(|c| ident_char(c) || c == ':')
        {
            continue;
        }
        let rest = &code[from..];
        let path: String = rest
            .chars()
            .take_while(|&c| ident_char(c) || c == ':')
            .collect();
        let segs: Vec<String> = path
            .split("::")
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        if !segs.is_empty() {
            out.push(segs);
        }
    }
    out
}

/// What each module imports (other modules, by path).
fn graph(mods: &Modules) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    // The crate root's `pub use m::{A, B}`: `crate::A` is m's.
    let root = code(&std::fs::read_to_string(&mods[&Vec::new()]).unwrap());
    let mut reexport: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for stmt in root.split(';') {
        let Some(tree) = stmt.trim().strip_prefix("pub use ") else {
            continue;
        };
        let mut paths = Vec::new();
        expand(tree, &[], &mut paths);
        for p in paths {
            if let Some((name, module)) = p.split_last() {
                reexport.insert(name.clone(), module.to_vec());
            }
        }
    }
    let resolve = |path: &[String]| -> Option<Vec<String>> {
        let path = match path {
            [one] => match reexport.get(one) {
                Some(m) => [m.clone(), vec![one.clone()]].concat(),
                None => path.to_vec(),
            },
            _ => path.to_vec(),
        };
        (1..=path.len())
            .rev()
            .map(|k| path[..k].to_vec())
            .find(|p| mods.contains_key(p))
    };
    let mut g = BTreeMap::new();
    for (m, file) in mods {
        let text = code(&std::fs::read_to_string(file).unwrap());
        let is_dir_module = file.ends_with("mod.rs") || file.ends_with("lib.rs");
        let mut refs = Vec::new();
        for stmt in text.split(';') {
            let stmt = stmt.trim_start();
            let stmt = stmt
                .strip_prefix("pub(crate) ")
                .or_else(|| stmt.strip_prefix("pub "))
                .unwrap_or(stmt);
            if let Some(tree) = stmt.strip_prefix("use crate::") {
                let tree = tree.trim();
                let tree = tree
                    .strip_prefix('{')
                    .and_then(|t| t.strip_suffix('}'))
                    .unwrap_or(tree);
                expand(tree, &[], &mut refs);
            } else if let Some(tree) = stmt.strip_prefix("use super::") {
                // `use super::{A, b::C}`: the parent's items, resolved below.
                let tree = tree.trim();
                if let Some(group) = tree.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                    let mut base = m.clone();
                    if !is_dir_module {
                        base.pop();
                    }
                    expand(group, &base, &mut refs);
                }
            }
        }
        refs.extend(paths_after(&text, "crate::"));
        for p in paths_after(&text, "super::") {
            let mut base = m.clone();
            if !is_dir_module {
                base.pop();
            }
            let mut p = p;
            while p.first().is_some_and(|s| s == "super") {
                p.remove(0);
                base.pop();
            }
            refs.push([base, p].concat());
        }
        if is_dir_module {
            for (child, _) in mods.range(m.clone()..) {
                if child.len() != m.len() + 1 || !child.starts_with(m) {
                    continue;
                }
                let name = format!("{}::", child.last().unwrap());
                if !paths_after(&text, &name).is_empty() {
                    refs.push(child.clone());
                }
            }
        }
        let mut to = BTreeSet::new();
        for r in refs {
            if let Some(target) = resolve(&r) {
                if &target != m && !target.is_empty() {
                    to.insert(target);
                }
            }
        }
        g.insert(m.clone(), to);
    }
    g
}

fn name(m: &[String]) -> String {
    if m.is_empty() {
        "lib".into()
    } else {
        m.join("::")
    }
}

/// The strongly connected groups of more than one module (Tarjan).
fn cycles(g: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<String>> {
    struct T<'a> {
        g: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        on: BTreeSet<&'a Vec<String>>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a Vec<String>) {
        t.index.insert(v, t.next);
        t.low.insert(v, t.next);
        t.next += 1;
        t.stack.push(v);
        t.on.insert(v);
        for w in &t.g[v] {
            if !t.index.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if t.on.contains(w) {
                let iw = t.index[w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut group = Vec::new();
            loop {
                let w = t.stack.pop().unwrap();
                t.on.remove(w);
                group.push(name(w));
                if w == v {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                t.out.push(group);
            }
        }
    }
    let mut t = T {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in g.keys() {
        if !t.index.contains_key(v) {
            visit(&mut t, v);
        }
    }
    t.out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_file_imports_a_file_that_imports_it() {
    let mods = modules(&src());
    let g = graph(&mods);
    let found = cycles(&g);
    assert!(found.is_empty(), "import cycles between files: {found:#?}");
}

#[test]
fn every_import_is_one_the_layer_table_allows() {
    let mods = modules(&src());
    let g = graph(&mods);
    let layer_of = |m: &[String]| m.first().cloned().unwrap_or_else(|| "lib".into());
    let mut wrong = Vec::new();
    for (m, to) in &g {
        let from = layer_of(m);
        if from == "lib" {
            continue;
        }
        let Some((_, _, allowed)) = LAYERS.iter().find(|(l, _, _)| *l == from) else {
            wrong.push(format!("{}: in no layer of the table", name(m)));
            continue;
        };
        for t in to {
            let target = layer_of(t);
            if target != from && !allowed.contains(&target.as_str()) {
                wrong.push(format!("{} imports {}", name(m), name(t)));
            }
        }
    }
    assert!(wrong.is_empty(), "imports the layers forbid: {wrong:#?}");
}

#[test]
fn the_top_of_src_keeps_at_most_eight_files() {
    let top: Vec<String> = std::fs::read_dir(src())
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(top.len() <= 8, "{top:?}");
}

#[test]
fn the_checker_sees_cycles_and_imports() {
    let dir = tempfile::tempdir().unwrap();
    let w = |rel: &str, text: &str| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w("lib.rs", "pub mod a;\npub mod b;\npub use b::Thing;\n");
    w(
        "a/mod.rs",
        "mod inner;\nuse crate::Thing;\npub fn f() { inner::g() }\n",
    );
    w("a/inner.rs", "use super::{f, g};\n// crate::b::not_this\n");
    w(
        "b.rs",
        "use crate::{a::{self, inner}};\npub struct Thing;\n",
    );
    let mods = modules(dir.path());
    let g = graph(&mods);
    let v = |s: &str| s.split("::").map(String::from).collect::<Vec<_>>();
    assert_eq!(g[&v("a")], [v("a::inner"), v("b")].into_iter().collect());
    assert_eq!(g[&v("a::inner")], [v("a")].into_iter().collect());
    assert_eq!(g[&v("b")], [v("a"), v("a::inner")].into_iter().collect());
    let mut c = cycles(&g);
    c.sort();
    assert_eq!(c, [vec!["a".to_string(), "a::inner".into(), "b".into()]]);
    w(
        "b.rs",
        "pub fn two() {\n    let s = \"}{\";\n}\nfn decl();\npub(crate) fn three(x: u8) -> u8 {\n    if x == b'}' { 1 } else { 2 }\n}\n#[cfg(test)]\nfn skipped() {}\n",
    );
    let mut lengths = function_lengths(dir.path());
    lengths.sort();
    assert_eq!(
        lengths,
        [
            ("a::f".to_string(), 1),
            ("b::three".into(), 3),
            ("b::two".into(), 3)
        ]
    );
}

/// Every function in `src/` (test modules aside) and its length in lines,
/// from its `fn` line to its closing brace.
fn function_lengths(src: &Path) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mods = modules(src);
    for (m, file) in &mods {
        let text = std::fs::read_to_string(file).unwrap();
        let text = match text.find("#[cfg(test)]") {
            Some(at) => &text[..at],
            None => &text[..],
        };
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            let t = l.trim_start();
            let t = t
                .strip_prefix("pub(crate) ")
                .or_else(|| t.strip_prefix("pub "))
                .unwrap_or(t);
            let t = t.strip_prefix("const ").unwrap_or(t);
            let t = t.strip_prefix("unsafe ").unwrap_or(t);
            let Some(rest) = t.strip_prefix("fn ") else {
                continue;
            };
            let fn_name: String = rest.chars().take_while(|&c| ident_char(c)).collect();
            // Count braces from the signature on, outside strings and
            // character literals, until they balance.
            let (mut depth, mut opened) = (0i64, false);
            let mut end = None;
            'lines: for (j, line) in lines.iter().enumerate().skip(i) {
                let code = line.split("//").next().unwrap();
                let (mut in_str, mut prev) = (false, ' ');
                for c in code.chars() {
                    match c {
                        '"' if prev != '\\' => in_str = !in_str,
                        '{' if !in_str && prev != '\'' => {
                            depth += 1;
                            opened = true;
                        }
                        '}' if !in_str && prev != '\'' => depth -= 1,
                        ';' if !in_str && !opened => break 'lines,
                        _ => {}
                    }
                    prev = if prev == '\\' && c == '\\' { ' ' } else { c };
                }
                if opened && depth == 0 {
                    end = Some(j);
                    break;
                }
            }
            if let Some(j) = end {
                out.push((format!("{}::{fn_name}", name(m)), j - i + 1));
            }
        }
    }
    out
}

/// Functions over 100 lines when the layers were drawn, and their length
/// then: none may grow, and no other may pass 100 lines. Split one, and
/// take it off the list.
const LONG_FUNCTIONS: &[(&str, usize)] = &[];

#[test]
fn no_function_grows_past_a_hundred_lines() {
    let mut wrong = Vec::new();
    for (f, n) in function_lengths(&src()) {
        let limit = LONG_FUNCTIONS
            .iter()
            .find(|(name, _)| *name == f)
            .map_or(100, |(_, n)| *n);
        if n > limit {
            wrong.push(format!("{f}: {n} lines (limit {limit})"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// The rule ids of the built-in rule files and the opt-in ones beside them.
fn rule_ids() -> Vec<String> {
    let mut ids = Vec::new();
    let patterns = Path::new(env!("CARGO_MANIFEST_DIR")).join("patterns");
    let files = std::fs::read_dir(&patterns)
        .unwrap()
        .chain(std::fs::read_dir(patterns.join("opt-in")).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"));
    for path in files {
        let text = std::fs::read_to_string(path).unwrap();
        for l in text.lines() {
            if let Some(id) = l.strip_prefix("id = \"").and_then(|r| r.strip_suffix('"')) {
                ids.push(id.to_string());
            }
        }
    }
    assert!(ids.len() > 10, "{ids:?}");
    ids
}

/// Provider knowledge lives in one file a vendor: outside `src/providers/`
/// and the rules layer, code names no rule id (tests and comments aside).
#[test]
fn only_providers_and_rules_name_a_rule_id() {
    let ids = rule_ids();
    let mut named = Vec::new();
    for (m, file) in modules(&src()) {
        if m.first().is_some_and(|f| f == "providers" || f == "rules") {
            continue;
        }
        let code = code(&std::fs::read_to_string(&file).unwrap());
        for id in &ids {
            if code.contains(&format!("\"{id}\"")) {
                named.push(format!("{} names {id}", file.display()));
            }
        }
    }
    assert!(named.is_empty(), "{named:#?}");
}
