//! Finding the etcd, kube-apiserver and fake kubelet executables, building them when they are
//! missing.
//!
//! Order: `$KUBEGEN_CONTROL_PLANE_BIN` when set (used as is, never built into); otherwise
//! `${KUBEGEN_CACHE:-$HOME/.cache/kubegen}/control-plane/bin`, and when a binary is missing
//! there, `tests/control-plane/build.sh` is run once per process (a cold build takes about ten
//! minutes on two cores) and the directory it prints is used.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, PoisonError};

use crate::Error;
use crate::process::TAIL_LINES;

/// Environment variable naming a directory that holds `etcd` and `kube-apiserver`.
pub const BIN_DIR_ENV: &str = "KUBEGEN_CONTROL_PLANE_BIN";

/// Environment variable naming the cache root (default `$HOME/.cache/kubegen`).
pub const CACHE_ENV: &str = "KUBEGEN_CACHE";

const ETCD: &str = "etcd";
const KUBE_APISERVER: &str = "kube-apiserver";
const FAKE_KUBELET: &str = "fakekubelet";

/// The two executables a control plane runs.
#[derive(Debug, Clone)]
pub(crate) struct Binaries {
    pub(crate) etcd: PathBuf,
    pub(crate) kube_apiserver: PathBuf,
}

/// Serialises builds: tests of one binary start planes concurrently.
static BUILD: Mutex<()> = Mutex::new(());

/// Finds the binaries in `explicit` (from the builder), `$KUBEGEN_CONTROL_PLANE_BIN` or the
/// cache, building them into the cache when needed.
pub(crate) fn locate(explicit: Option<&Path>) -> Result<Binaries, Error> {
    if let Some(dir) = explicit {
        return in_dir(dir, "the directory given to ControlPlaneBuilder::bin_dir");
    }
    if let Some(dir) = std::env::var_os(BIN_DIR_ENV) {
        return in_dir(Path::new(&dir), "the directory named by KUBEGEN_CONTROL_PLANE_BIN");
    }
    let dir = default_bin_dir()?;
    if let Ok(found) = in_dir(&dir, "the cache") {
        return Ok(found);
    }
    let _guard = BUILD.lock().unwrap_or_else(PoisonError::into_inner);
    // Another thread may have built them while this one waited.
    if let Ok(found) = in_dir(&dir, "the cache") {
        return Ok(found);
    }
    let built = build()?;
    in_dir(&built, "the directory printed by tests/control-plane/build.sh")
}

/// Finds the fake kubelet beside `kube_apiserver` (the control plane's binary), building it
/// when that is the cache's directory and it is missing there (a checkout older than the fake
/// kubelet built the cache).
pub(crate) fn locate_kubelet(kube_apiserver: &Path) -> Result<PathBuf, Error> {
    let dir = kube_apiserver.parent().unwrap_or(Path::new(".")).to_path_buf();
    let binary = dir.join(FAKE_KUBELET);
    if binary.is_file() {
        return Ok(binary);
    }
    if default_bin_dir().ok().as_deref() != Some(dir.as_path()) {
        return Err(Error::BinaryMissing {
            name: FAKE_KUBELET,
            dir,
            reason: "it is built beside kube-apiserver by tests/control-plane/build.sh; run that".to_owned(),
        });
    }
    let _guard = BUILD.lock().unwrap_or_else(PoisonError::into_inner);
    if binary.is_file() {
        return Ok(binary);
    }
    let built = build()?.join(FAKE_KUBELET);
    if built.is_file() {
        Ok(built)
    } else {
        Err(Error::BinaryMissing {
            name: FAKE_KUBELET,
            dir,
            reason: format!("tests/control-plane/build.sh did not make {}", built.display()),
        })
    }
}

fn default_bin_dir() -> Result<PathBuf, Error> {
    let root = match std::env::var_os(CACHE_ENV) {
        Some(dir) => PathBuf::from(dir),
        None => match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(".cache").join("kubegen"),
            None => {
                return Err(Error::BinaryMissing {
                    name: KUBE_APISERVER,
                    dir: PathBuf::from("$HOME/.cache/kubegen/control-plane/bin"),
                    reason: format!("neither {BIN_DIR_ENV}, {CACHE_ENV} nor HOME is set"),
                });
            }
        },
    };
    Ok(root.join("control-plane").join("bin"))
}

fn in_dir(dir: &Path, what: &str) -> Result<Binaries, Error> {
    let etcd = dir.join(ETCD);
    let kube_apiserver = dir.join(KUBE_APISERVER);
    for (name, path) in [(ETCD, &etcd), (KUBE_APISERVER, &kube_apiserver)] {
        if !path.is_file() {
            return Err(Error::BinaryMissing {
                name,
                dir: dir.to_path_buf(),
                reason: format!("{} is not a file ({what})", path.display()),
            });
        }
    }
    Ok(Binaries { etcd, kube_apiserver })
}

/// Runs build.sh and returns the directory it prints on its last line.
fn build() -> Result<PathBuf, Error> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("control-plane").join("build.sh");
    tracing::warn!(
        script = %script.display(),
        "control-plane binaries are missing; building them (a cold build takes about 10 minutes)"
    );
    let output = Command::new("bash").arg(&script).output().map_err(|e| Error::Build {
        script: script.clone(),
        status: format!("could not run bash: {e}"),
        output: String::new(),
    })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        let lines: Vec<&str> = stderr.lines().chain(stdout.lines()).collect();
        let start = lines.len().saturating_sub(TAIL_LINES);
        return Err(Error::Build { script, status: output.status.to_string(), output: lines[start..].join("\n") });
    }
    match stdout.lines().rev().find(|line| !line.trim().is_empty()) {
        Some(dir) => Ok(PathBuf::from(dir.trim())),
        None => {
            Err(Error::Build { script, status: "it printed no directory".to_string(), output: stderr.into_owned() })
        }
    }
}
