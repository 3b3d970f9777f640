//! Result records: the one format every measurement writes and the report reads.
//!
//! A record is one figure: a workload (`decode-pod-list`), a metric (`throughput`), a library
//! (`kubegen`, `kube-rs`, `client-go`), a value with its unit, and which direction is better.
//! The Go side writes the same records (see `go/results.go`); files are JSON arrays of records.
//! A figure that cannot be measured yet (a slot the runtime has not filled) is a record whose
//! value is `null` and whose note says why.

use std::path::Path;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

/// Which direction of a metric is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    /// Throughputs.
    Higher,
    /// Times and sizes.
    Lower,
}

/// One figure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Workload id, e.g. `decode-pod-list`; the report's catalogue gives it a title.
    pub workload: String,
    /// Metric within the workload, e.g. `throughput`.
    pub metric: String,
    /// Unit of `value`, e.g. `MB/s`.
    pub unit: String,
    /// `kubegen`, `kube-rs`, `client-go`, or a variant such as `client-go (codec)`.
    pub library: String,
    /// The figure; `None` for a pending slot.
    pub value: Option<f64>,
    /// Which direction is better.
    pub better: Better,
    /// What the reader must know about this figure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Record {
    /// A measured figure.
    pub fn new(workload: &str, metric: &str, unit: &str, library: &str, value: f64, better: Better) -> Self {
        Record {
            workload: workload.to_owned(),
            metric: metric.to_owned(),
            unit: unit.to_owned(),
            library: library.to_owned(),
            value: Some(value),
            better,
            note: None,
        }
    }

    /// A figure that is not available yet, with the reason.
    pub fn pending(workload: &str, metric: &str, unit: &str, library: &str, better: Better, why: &str) -> Self {
        Record { value: None, note: Some(why.to_owned()), ..Record::new(workload, metric, unit, library, 0.0, better) }
    }

    /// The same record with a note.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}

/// Writes records as a JSON array, replacing the file.
pub fn write(path: &Path, records: &[Record]) -> anyhow::Result<()> {
    let json = serde_json::to_vec_pretty(records).context("encoding result records")?;
    std::fs::write(path, json).with_context(|| format!("writing results to {}", path.display()))?;
    eprintln!("wrote {} records to {}", records.len(), path.display());
    Ok(())
}

/// Reads a JSON array of records.
pub fn read(path: &Path) -> anyhow::Result<Vec<Record>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading results {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("decoding result records in {}", path.display()))
}
