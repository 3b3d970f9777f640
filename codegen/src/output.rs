//! Writing a generated crate: only files whose content changed, atomically, and removing
//! generated files that are no longer produced. `check` compares without writing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::emit::{Files, is_generated};
use crate::error::{Error, Result};

/// What a write did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Files created or changed.
    pub written: Vec<String>,
    /// Files already up to date.
    pub unchanged: usize,
    /// Generated files removed because nothing produces them any more.
    pub removed: Vec<String>,
}

/// Files under `dir` that kubegen owns: `Cargo.toml`, `README.md` and every `.rs` file
/// under `src/`. Other files (a `Cargo.lock`, `target/`) are left alone.
fn owned_files(dir: &Path) -> Result<BTreeSet<String>> {
    let mut found = BTreeSet::new();
    for name in ["Cargo.toml", "README.md"] {
        if dir.join(name).is_file() {
            found.insert(name.to_owned());
        }
    }
    let src = dir.join("src");
    if src.is_dir() {
        collect_rust_files(&src, "src", &mut found)?;
    }
    Ok(found)
}

fn collect_rust_files(dir: &Path, relative: &str, found: &mut BTreeSet<String>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|error| Error::io(dir, error))?;
    for entry in entries {
        let entry = entry.map_err(|error| Error::io(dir, error))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = format!("{relative}/{name}");
        if path.is_dir() {
            collect_rust_files(&path, &relative, found)?;
        } else if name.ends_with(".rs") {
            found.insert(relative);
        }
    }
    Ok(())
}

fn is_current(path: &Path, content: &str) -> bool {
    std::fs::read(path).is_ok_and(|existing| existing == content.as_bytes())
}

/// Writes `files` under `dir`: changed files are written to a temporary name and renamed, so
/// an interrupted run never leaves a half-written file; owned files not in `files` are removed.
pub fn write(dir: &Path, files: &Files) -> Result<WriteReport> {
    let mut report = WriteReport::default();
    let existing = owned_files(dir)?;
    refuse_foreign_files(dir, files, &existing)?;
    for (relative, content) in files {
        let path = dir.join(relative);
        if is_current(&path, content) {
            report.unchanged += 1;
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|error| Error::io(parent, error))?;
        }
        let temporary = temporary_name(&path);
        std::fs::write(&temporary, content).map_err(|error| Error::io(&temporary, error))?;
        std::fs::rename(&temporary, &path).map_err(|error| Error::io(&path, error))?;
        report.written.push(relative.clone());
    }
    for relative in existing.difference(&files.keys().cloned().collect()) {
        let path = dir.join(relative);
        std::fs::remove_file(&path).map_err(|error| Error::io(&path, error))?;
        report.removed.push(relative.clone());
        if let Some(parent) = path.parent() {
            // Remove a module directory left empty; failure means it still holds something.
            let _ = std::fs::remove_dir(parent);
        }
    }
    Ok(report)
}

/// Fails, naming them, if any file that would be replaced or removed lacks kubegen's header:
/// `--out` pointed at a hand-written crate must not lose a single file. Checked before
/// anything is written.
fn refuse_foreign_files(dir: &Path, files: &Files, existing: &BTreeSet<String>) -> Result<()> {
    let replaced = files.iter().filter(|(relative, content)| !is_current(&dir.join(relative), content));
    let removed = existing.iter().filter(|relative| !files.contains_key(*relative));
    let mut foreign = Vec::new();
    for relative in replaced.map(|(relative, _)| relative).chain(removed) {
        let path = dir.join(relative);
        match std::fs::read(&path) {
            Ok(content) if !is_generated(&content) => foreign.push(path),
            Ok(_) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(Error::io(&path, error)),
        }
    }
    if foreign.is_empty() { Ok(()) } else { Err(Error::NotGenerated { files: foreign }) }
}

fn temporary_name(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|name| name.to_os_string()).unwrap_or_default();
    name.push(".kubegen-tmp");
    path.with_file_name(name)
}

/// Compares `dir` with `files` without writing; the error names every differing file.
pub fn check(dir: &Path, files: &Files) -> Result<()> {
    let existing = owned_files(dir)?;
    let mut stale = Vec::new();
    for (relative, content) in files {
        let path = dir.join(relative);
        if !path.exists() {
            stale.push(format!("{relative} (missing)"));
        } else if !is_current(&path, content) {
            stale.push(format!("{relative} (changed)"));
        }
    }
    for relative in existing.difference(&files.keys().cloned().collect()) {
        stale.push(format!("{relative} (not generated; would be removed)"));
    }
    if stale.is_empty() { Ok(()) } else { Err(Error::Stale { dir: dir.to_owned(), files: stale }) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::{HEADER, MARKER};

    fn files(entries: &[(&str, &str)]) -> Files {
        entries.iter().map(|(path, content)| ((*path).to_owned(), format!("{HEADER}{content}"))).collect()
    }

    #[test]
    fn never_replaces_or_removes_a_file_kubegen_did_not_write() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), &files(&[("Cargo.toml", "a"), ("src/lib.rs", "b")])).expect("writes");
        // Hand-written files where kubegen writes or removes: a lib.rs, a module file, a
        // Cargo.toml and a README, with and without something that looks like a header later.
        let hand_written: &[(&str, &str)] = &[
            ("src/lib.rs", "fn main() {}\n"),
            ("src/main.rs", "fn main() {}\n"),
            ("src/m/x.rs", ""),
            ("Cargo.toml", "[package]\nname = \"mine\"\n"),
            ("README.md", "# Mine\n"),
            ("src/deep.rs", &format!("{}// {MARKER}\n", "\n".repeat(20))),
        ];
        for (relative, content) in hand_written {
            let path = dir.path().join(relative);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
            std::fs::write(&path, content).expect("writes");
            let error = write(dir.path(), &files(&[("Cargo.toml", "a"), ("src/lib.rs", "c")]))
                .expect_err("refuses")
                .to_string();
            assert!(error.contains(relative), "{relative}: {error}");
            assert_eq!(std::fs::read_to_string(&path).expect("still there"), *content, "{relative}");
            std::fs::remove_file(&path).expect("removes");
            if *relative == "src/lib.rs" || *relative == "Cargo.toml" {
                write(dir.path(), &files(&[("Cargo.toml", "a"), ("src/lib.rs", "b")])).expect("restores");
            }
        }
        // Unchanged foreign content is not touched, so it needs no header.
        std::fs::write(dir.path().join("src/lib.rs"), "same").expect("writes");
        let same: Files = [("src/lib.rs".to_owned(), "same".to_owned())].into_iter().collect();
        std::fs::remove_file(dir.path().join("Cargo.toml")).expect("removes");
        write(dir.path(), &same).expect("nothing to replace");
    }

    #[test]
    fn writes_only_changes_and_removes_leftovers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = files(&[("Cargo.toml", "a"), ("src/lib.rs", "b"), ("src/m/x.rs", "c")]);
        let report = write(dir.path(), &first).expect("writes");
        assert_eq!(report.written.len(), 3);
        std::fs::write(dir.path().join("Cargo.lock"), "keep").expect("writes lock");

        let second = files(&[("Cargo.toml", "a"), ("src/lib.rs", "b2")]);
        check(dir.path(), &second).expect_err("stale");
        let report = write(dir.path(), &second).expect("writes");
        assert_eq!(report.written, ["src/lib.rs"]);
        assert_eq!(report.unchanged, 1);
        assert_eq!(report.removed, ["src/m/x.rs"]);
        assert!(!dir.path().join("src/m").exists());
        assert!(dir.path().join("Cargo.lock").exists());
        check(dir.path(), &second).expect("up to date");
    }

    #[test]
    fn check_names_stale_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), &files(&[("src/lib.rs", "x"), ("src/old.rs", "y")])).expect("writes");
        let error =
            check(dir.path(), &files(&[("src/lib.rs", "z"), ("src/new.rs", "n")])).expect_err("stale").to_string();
        assert!(error.contains("src/lib.rs (changed)"), "{error}");
        assert!(error.contains("src/new.rs (missing)"), "{error}");
        assert!(error.contains("src/old.rs (not generated; would be removed)"), "{error}");
    }
}
