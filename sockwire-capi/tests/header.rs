//! The committed header declares exactly the functions the library exports: every
//! `#[unsafe(no_mangle)]` function in `src/` appears in `include/sockwire.h` and every function
//! declared there is exported. (The C test suite then compiles and calls every declaration
//! against the built library, and compares struct sizes with `sw_abi_struct_size`.)

use std::collections::BTreeSet;

/// Every `.rs` file under `dir`, recursively.
fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for f in std::fs::read_dir(dir).unwrap() {
        let path = f.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn exported() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut files = Vec::new();
    sources(
        concat!(env!("CARGO_MANIFEST_DIR"), "/src").as_ref(),
        &mut files,
    );
    for path in files {
        let text = std::fs::read_to_string(path).unwrap();
        let mut next = false;
        for line in text.lines() {
            if line.trim() == "#[unsafe(no_mangle)]" {
                next = true;
                continue;
            }
            if next {
                let at = line.find("fn ").expect("an exported fn") + 3;
                let name: String = line[at..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.insert(name);
                next = false;
            }
        }
    }
    out
}

fn declared() -> BTreeSet<String> {
    let h = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/sockwire.h"))
        .unwrap();
    let mut out = BTreeSet::new();
    for line in h.lines() {
        let l = line.trim_start();
        if l.starts_with("/*")
            || l.starts_with('*')
            || l.starts_with('#')
            || l.starts_with("typedef")
        {
            continue;
        }
        // Every `sw_<ident>(` on a declaration line is a function name (types are never
        // followed by a parenthesis).
        let mut rest = l;
        while let Some(p) = rest.find("sw_") {
            let name: String = rest[p..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let after = &rest[p + name.len()..];
            if after.starts_with('(') {
                out.insert(name);
                break;
            }
            rest = after;
        }
    }
    out
}

#[test]
fn header_and_library_declare_the_same_functions() {
    let (e, d) = (exported(), declared());
    assert!(e.len() >= 30, "{e:?}");
    let missing: Vec<_> = e.difference(&d).collect();
    let extra: Vec<_> = d.difference(&e).collect();
    assert!(
        missing.is_empty(),
        "exported but not in sockwire.h: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "in sockwire.h but not exported: {extra:?}"
    );
}
