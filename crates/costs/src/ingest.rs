//! Cost ingest: files in, loads out.
//!
//! An ingest reads every file to the end first (CSV, gzip CSV or Parquet; FOCUS, AWS CUR or
//! Azure EA), and refuses the whole ingest if any file has a bad value: a bad file changes
//! nothing. The rows are split by billing account and billing period (a *load*) and summed
//! into daily aggregates. Only then does one write transaction replace each load's daily rows
//! and record it, with one activity-log event per load; so re-ingesting a period replaces it
//! (never double counts), and an ingest killed at any point leaves either the old loads or the
//! new ones, never a mix.
//!
//! Memory stays bounded however large the files are: rows go to the loads' detail files in
//! batches, written on a thread of their own ([`DetailWriter`]) while this one reads on, with
//! at most [`MAX_PENDING_ROWS`] rows waiting and about [`MAX_IN_PROGRESS_BYTES`] of unfinished
//! Parquet row groups in memory; the daily aggregates grow with the distinct day × dimension
//! keys, not with the rows.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use chrono::{DateTime, NaiveDate, Utc};
use leitstand_finops::store::{AtomicWriter, PartitionKey};
use leitstand_finops::{
    sub_account_key, CostReader, CostRow, OnError, Problem, ReadError, ReadOptions, SubAccountKey,
    Violation,
};
use leitstand_store::{
    tag_set_id, CostLoadRow, DailyKey, DailySums, EventDraft, Store, StoreError,
};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::money::to_nanos;
use crate::objects::DetailStore;

/// The most violations an ingest collects per file before it stops reading that file.
pub const MAX_VIOLATIONS: usize = 100;

/// Rows per batch read from a file.
const BATCH_ROWS: usize = 8_192;

/// The most detail rows all loads together keep before they go to the detail writer: a file
/// of many loads (billing accounts × months) would otherwise keep up to [`BATCH_ROWS`] rows
/// of each.
const MAX_PENDING_ROWS: usize = 65_536;

/// The most bytes of unfinished row groups the detail files keep in memory together; beyond
/// it the largest end their row group early.
const MAX_IN_PROGRESS_BYTES: usize = 256 << 20;

/// Batches of detail rows that may wait for the detail writer thread: the reader runs at most
/// this far ahead, so memory stays bounded.
const DETAIL_QUEUE: usize = 4;

/// Why an ingest was refused. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("`{path}`: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("no cost files found in {0}")]
    NoFiles(String),
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("{} bad value(s); nothing was ingested. First: {}", .violations.len(), .violations.first().map(ToString::to_string).unwrap_or_default())]
    Invalid { violations: Vec<Violation> },
    #[error("the cost of billing account `{account}` on {day} does not fit the store (more than 9.2 billion {currency})")]
    TooLarge {
        account: String,
        day: String,
        currency: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the detail rows: {0}")]
    Detail(String),
}

fn detail_error(e: leitstand_finops::store::StoreError) -> IngestError {
    IngestError::Detail(error_chain(&e))
}

/// An error and its sources, as one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

impl DetailFile {
    fn create(
        target: &DetailTarget,
        row: &CostRow,
    ) -> Result<(DetailFile, AtomicWriter), IngestError> {
        let key = PartitionKey::of_row(&target.tenant, row);
        let load_id = uuid::Uuid::new_v4().to_string();
        let partition_file = key.path(Path::new(""));
        let stem = partition_file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let relative = partition_file.with_file_name(format!("{stem}.{load_id}.parquet"));
        let absolute = target.details.cost_dir().join(&relative);
        if let Some(dir) = absolute.parent() {
            std::fs::create_dir_all(dir).map_err(|source| IngestError::Io {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let writer = AtomicWriter::create(&absolute).map_err(detail_error)?;
        let detail = DetailFile {
            slot: 0,
            writer: None,
            load_id,
            relative: relative.to_string_lossy().replace('\\', "/"),
        };
        Ok((detail, writer))
    }
}

/// What the reading thread hands the detail writer thread.
enum DetailMessage {
    /// A new load's file, in slot `usize`.
    Open(usize, Box<AtomicWriter>),
    /// Rows for the file in a slot.
    Rows(usize, Vec<CostRow>),
}

/// The loads' detail files, written on a thread of their own: reading and validating the
/// files runs on the ingest's thread and Parquet encoding on this one, so an ingest uses two
/// cores. The queue between them holds [`DETAIL_QUEUE`] batches at most.
struct DetailWriter {
    sender: Option<SyncSender<DetailMessage>>,
    thread: Option<JoinHandle<Result<Vec<Option<AtomicWriter>>, IngestError>>>,
    n_slots: usize,
}

impl DetailWriter {
    fn start() -> Result<DetailWriter, IngestError> {
        let (sender, receiver) = sync_channel::<DetailMessage>(DETAIL_QUEUE);
        let thread = std::thread::Builder::new()
            .name("cost-detail".into())
            .spawn(move || {
                let mut writers: Vec<Option<AtomicWriter>> = Vec::new();
                for message in receiver {
                    match message {
                        DetailMessage::Open(slot, writer) => {
                            if writers.len() <= slot {
                                writers.resize_with(slot + 1, || None);
                            }
                            if let Some(entry) = writers.get_mut(slot) {
                                *entry = Some(*writer);
                            }
                        }
                        DetailMessage::Rows(slot, rows) => {
                            if let Some(Some(writer)) = writers.get_mut(slot) {
                                writer.write(&rows).map_err(detail_error)?;
                            }
                            bound_in_progress(&mut writers)?;
                        }
                    }
                }
                Ok(writers)
            })
            .map_err(|source| IngestError::Io {
                path: "the detail writer thread".into(),
                source,
            })?;
        Ok(DetailWriter {
            sender: Some(sender),
            thread: Some(thread),
            n_slots: 0,
        })
    }

    /// Hands a new load's file to the writer thread; returns its slot.
    fn open(&mut self, writer: AtomicWriter) -> Result<usize, IngestError> {
        let slot = self.n_slots;
        self.n_slots += 1;
        self.send(DetailMessage::Open(slot, Box::new(writer)))?;
        Ok(slot)
    }

    fn send(&mut self, message: DetailMessage) -> Result<(), IngestError> {
        let sent = match &self.sender {
            Some(sender) => sender.send(message).is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        // The thread stopped: it failed to write; its error says why.
        match self.finish() {
            Err(e) => Err(e),
            Ok(_) => Err(IngestError::Detail("the detail writer stopped".into())),
        }
    }

    /// Waits until every row sent is written; returns the files by slot.
    fn finish(&mut self) -> Result<Vec<Option<AtomicWriter>>, IngestError> {
        self.sender = None;
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .map_err(|_| IngestError::Detail("the detail writer panicked".into()))?,
            None => Err(IngestError::Detail("the detail writer stopped".into())),
        }
    }
}

/// Ends the row groups of the files with the most unfinished bytes until those of all files
/// together are under half of [`MAX_IN_PROGRESS_BYTES`], once they exceed it.
fn bound_in_progress(writers: &mut [Option<AtomicWriter>]) -> Result<(), IngestError> {
    let mut total: usize = writers
        .iter()
        .flatten()
        .map(AtomicWriter::in_progress_size)
        .sum();
    if total <= MAX_IN_PROGRESS_BYTES {
        return Ok(());
    }
    let mut by_size: Vec<(usize, &mut AtomicWriter)> = writers
        .iter_mut()
        .flatten()
        .map(|w| (w.in_progress_size(), w))
        .collect();
    by_size.sort_by_key(|(size, _)| std::cmp::Reverse(*size));
    for (size, writer) in by_size {
        if total <= MAX_IN_PROGRESS_BYTES / 2 {
            break;
        }
        writer.flush().map_err(detail_error)?;
        total = total.saturating_sub(size);
    }
    Ok(())
}

impl Drop for DetailWriter {
    fn drop(&mut self) {
        // An ingest that stops early drops its files (not committed: their temporary files go)
        // before it returns.
        self.sender = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Where an ingest stands, for a progress display.
#[derive(Debug, Clone)]
pub struct Progress {
    /// 1-based index of the file being read.
    pub file_index: usize,
    pub n_files: usize,
    pub file: String,
    /// Rows read so far, over all files.
    pub rows: u64,
}

/// Lists the cost files under `paths`: each file as given, each folder's `.csv`, `.csv.gz`,
/// `.gz` and `.parquet` files (recursively, sorted, hidden entries skipped).
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, IngestError> {
    let mut out = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|source| IngestError::Io {
            path: path.display().to_string(),
            source,
        })?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found)?;
            found.sort();
            out.extend(found);
        } else {
            out.push(path.clone());
        }
    }
    if out.is_empty() {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(IngestError::NoFiles(names.join(", ")));
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), IngestError> {
    let io = |source| IngestError::Io {
        path: dir.display().to_string(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name().to_string_lossy().to_lowercase();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        if entry.file_type().map_err(io)?.is_dir() {
            walk(&path, out)?;
        } else if [".csv", ".csv.gz", ".gz", ".parquet"]
            .iter()
            .any(|ext| name.ends_with(ext))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Exact sums of one daily aggregate while files are read.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    billed: Decimal,
    effective: Decimal,
    list: Decimal,
    contracted: Decimal,
    n_rows: i64,
}

/// One currency's totals of a load.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub billed: Decimal,
    pub effective: Decimal,
    pub list: Decimal,
}

/// What one load (billing account × billing period) holds after reading.
#[derive(Default)]
struct Partition {
    /// The load's detail rows, being written to its Parquet file.
    detail: Option<DetailFile>,
    /// Rows waiting for the next batch write.
    pending: Vec<CostRow>,
    /// The daily sums, by interned key (the store's [`DailyKey`] is built for one load at a
    /// time, as it is written).
    daily_by_id: HashMap<DayKey, Sums>,
    tag_sets: HashMap<i64, Vec<(String, String)>>,
    n_rows: i64,
    /// The totals while files are read, by interned currency.
    totals_by_id: HashMap<usize, Totals>,
    /// The totals once reading is done.
    totals: BTreeMap<String, Totals>,
    sources: BTreeSet<(String, String)>,
}

/// A daily aggregate's key while files are read: each text is an id of [`Dimensions`], so a
/// row's key costs no allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct DayKey {
    day: NaiveDate,
    sub_account: usize,
    resource_group: usize,
    service_name: usize,
    service_category: usize,
    region: usize,
    charge_category: usize,
    pricing_category: usize,
    commitment_discount_id: usize,
    currency: usize,
    tag_set: i64,
}

/// Texts stored once, each with an id; a value as read maps to the id of its normalized form
/// (lowercase, say), so spellings that normalize alike share one id.
#[derive(Default)]
struct Interner {
    by_raw: HashMap<String, usize>,
    by_value: HashMap<String, usize>,
    values: Vec<String>,
}

impl Interner {
    fn id(&mut self, raw: &str, normalize: fn(&str) -> String) -> usize {
        if let Some(id) = self.by_raw.get(raw) {
            return *id;
        }
        let id = self.value_id(normalize(raw));
        self.by_raw.insert(raw.to_owned(), id);
        id
    }

    /// The id of an already normalized value.
    fn value_id(&mut self, value: String) -> usize {
        if let Some(id) = self.by_value.get(&value) {
            return *id;
        }
        let id = self.values.len();
        self.values.push(value.clone());
        self.by_value.insert(value, id);
        id
    }

    fn value(&self, id: usize) -> &str {
        self.values.get(id).map(String::as_str).unwrap_or_default()
    }
}

fn as_is(text: &str) -> String {
    text.to_owned()
}

fn lowercase(text: &str) -> String {
    text.to_lowercase()
}

fn uppercase(text: &str) -> String {
    text.to_uppercase()
}

/// What a row's resource determines, kept from the resource's previous row: the sub-account
/// and resource group come from the resource id (with SubAccountId and ProviderName), the tag
/// set from the tags, so they are computed again only when one of those differs.
struct ResourceDims {
    sub_account_id: Option<String>,
    provider_name: Option<String>,
    tags: Vec<(String, String)>,
    sub_account: usize,
    resource_group: usize,
    tag_set: i64,
}

/// The most resources [`Dimensions`] remembers; beyond it, it forgets them all and starts
/// again, so memory stays bounded however many resources a file has.
const MAX_REMEMBERED_RESOURCES: usize = 1 << 16;

/// The interned dimension values of an ingest.
#[derive(Default)]
struct Dimensions {
    as_is: Interner,
    lowercase: Interner,
    uppercase: Interner,
    resources: HashMap<String, ResourceDims>,
}

impl Dimensions {
    /// Returns the store's key of an interned daily key of a load.
    fn daily_key(&self, account: &str, period: &str, key: &DayKey) -> DailyKey {
        DailyKey {
            billing_account_id: account.to_owned(),
            period: period.to_owned(),
            day: key.day.format("%Y-%m-%d").to_string(),
            sub_account: self.as_is.value(key.sub_account).to_owned(),
            resource_group: self.as_is.value(key.resource_group).to_owned(),
            service_name: self.as_is.value(key.service_name).to_owned(),
            service_category: self.as_is.value(key.service_category).to_owned(),
            region: self.lowercase.value(key.region).to_owned(),
            charge_category: self.as_is.value(key.charge_category).to_owned(),
            pricing_category: self.as_is.value(key.pricing_category).to_owned(),
            commitment_discount_id: self.as_is.value(key.commitment_discount_id).to_owned(),
            currency: self.uppercase.value(key.currency).to_owned(),
            tag_set: key.tag_set,
        }
    }

    /// Returns the ids of a row's sub-account and resource group, and its tag set.
    fn of_resource(&mut self, row: &CostRow) -> (usize, usize, i64) {
        if let Some(resource_id) = row.resource_id.as_deref() {
            if let Some(known) = self.resources.get(resource_id) {
                if known.sub_account_id == row.sub_account_id
                    && known.provider_name == row.provider_name
                    && known.tags == row.tags
                {
                    return (known.sub_account, known.resource_group, known.tag_set);
                }
            }
        }
        let sub_account = self.as_is.value_id(sub_account_text(row));
        let resource_group = self.as_is.value_id(
            row.resource_id
                .as_deref()
                .and_then(resource_group_of)
                .unwrap_or_default(),
        );
        let tag_set = tag_set_id(&row.tags);
        if let Some(resource_id) = row.resource_id.as_deref() {
            if self.resources.len() >= MAX_REMEMBERED_RESOURCES {
                self.resources.clear();
            }
            self.resources.insert(
                resource_id.to_owned(),
                ResourceDims {
                    sub_account_id: row.sub_account_id.clone(),
                    provider_name: row.provider_name.clone(),
                    tags: row.tags.clone(),
                    sub_account,
                    resource_group,
                    tag_set,
                },
            );
        }
        (sub_account, resource_group, tag_set)
    }
}

/// A load's Parquet file while it is written: a temporary file until the load is committed.
struct DetailFile {
    /// Its slot in the [`DetailWriter`] while the files are read.
    slot: usize,
    /// The file, once reading is done.
    writer: Option<AtomicWriter>,
    load_id: String,
    /// The file, relative to the cost directory.
    relative: String,
}

/// Where an ingest writes the loads' detail rows: `{cost_dir}/tenant={tenant}/period={YYYY-MM}/
/// account={billing account}.{load id}.parquet`, a new file per load, so the database's
/// record of a load always names a complete file; with an object store, the file is uploaded
/// under the same key before the load is recorded.
#[derive(Debug, Clone)]
pub struct DetailTarget {
    pub details: DetailStore,
    pub tenant: String,
}

/// Every file read, split into loads; nothing stored yet (the detail files are temporary
/// until [`store_parsed`] commits them).
#[derive(Default)]
pub struct Parsed {
    target: Option<DetailTarget>,
    detail_writer: Option<DetailWriter>,
    dimensions: Dimensions,
    /// The load of the previous row: billing account, billing period start, partition key.
    current: Option<(String, DateTime<Utc>, (String, String))>,
    /// Detail rows waiting in all loads' `pending`.
    n_pending: usize,
    partitions: BTreeMap<(String, String), Partition>,
    files: Vec<FileSummary>,
    warnings: Vec<WarningSummary>,
}

/// One file of an ingest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSummary {
    pub file: String,
    pub format: String,
    pub rows: u64,
    /// FOCUS columns the file has that are neither of its version nor `x_` columns (not read).
    pub unknown_columns: Vec<String>,
}

/// One load an ingest wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadSummary {
    pub billing_account_id: String,
    pub period: String,
    pub rows: i64,
    pub daily_rows: usize,
    pub totals: BTreeMap<String, Totals>,
    /// Whether an earlier load of the same period was replaced.
    pub replaced: bool,
}

/// What an ingest did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestReport {
    pub files: Vec<FileSummary>,
    pub loads: Vec<LoadSummary>,
    pub warnings: Vec<WarningSummary>,
}

/// The normalized sub-account of a row, as the daily rows keep it.
pub fn sub_account_text(row: &CostRow) -> String {
    match sub_account_key(row) {
        SubAccountKey::AzureSubscription(id) | SubAccountKey::AwsAccount(id) => id,
        SubAccountKey::Other(id) => format!("other:{id}"),
        SubAccountKey::None => String::new(),
    }
}

/// The resource group of an Azure resource id (`/subscriptions/…/resourceGroups/{rg}/…`),
/// lowercase.
pub fn resource_group_of(resource_id: &str) -> Option<String> {
    let mut segments = resource_id.split('/').filter(|s| !s.is_empty());
    while let Some(segment) = segments.next() {
        if segment.eq_ignore_ascii_case("resourcegroups") {
            return segments.next().map(str::to_lowercase);
        }
    }
    None
}

impl Parsed {
    /// Adds one row: to its load's daily sums and to its detail file.
    fn add(&mut self, row: CostRow, file: &str, format: &str) -> Result<(), IngestError> {
        let same_load = self.current.as_ref().is_some_and(|(account, start, _)| {
            *account == row.billing_account_id && *start == row.billing_period_start
        });
        if !same_load {
            let period = row.billing_period_start.format("%Y-%m").to_string();
            self.current = Some((
                row.billing_account_id.clone(),
                row.billing_period_start,
                (row.billing_account_id.clone(), period),
            ));
        }
        let Some((_, _, load)) = &self.current else {
            return Ok(());
        };
        if !self.partitions.contains_key(load) {
            self.partitions.insert(load.clone(), Partition::default());
        }
        let Some(partition) = self.partitions.get_mut(load) else {
            return Ok(());
        };
        if partition.detail.is_none() {
            if let (Some(target), Some(detail_writer)) = (&self.target, &mut self.detail_writer) {
                let (mut detail, writer) = DetailFile::create(target, &row)?;
                detail.slot = detail_writer.open(writer)?;
                partition.detail = Some(detail);
            }
        }
        let dimensions = &mut self.dimensions;
        let (sub_account, resource_group, tag_set) = dimensions.of_resource(&row);
        if tag_set != 0 && !partition.tag_sets.contains_key(&tag_set) {
            let tags: Vec<(String, String)> = row
                .tags
                .iter()
                .map(|(k, v)| (k.to_lowercase(), v.clone()))
                .collect();
            partition.tag_sets.insert(tag_set, tags);
        }
        let region = row
            .region_id
            .as_deref()
            .or(row.region_name.as_deref())
            .unwrap_or_default();
        let key = DayKey {
            day: row.charge_period_start.date_naive(),
            sub_account,
            resource_group,
            service_name: dimensions
                .as_is
                .id(row.service_name.as_deref().unwrap_or_default(), as_is),
            service_category: dimensions.as_is.id(
                row.service_category.map(|c| c.as_str()).unwrap_or_default(),
                as_is,
            ),
            region: dimensions.lowercase.id(region, lowercase),
            charge_category: dimensions.as_is.id(row.charge_category.as_str(), as_is),
            pricing_category: dimensions.as_is.id(
                row.pricing_category.map(|c| c.as_str()).unwrap_or_default(),
                as_is,
            ),
            commitment_discount_id: dimensions.as_is.id(
                row.commitment_discount_id.as_deref().unwrap_or_default(),
                as_is,
            ),
            currency: dimensions.uppercase.id(&row.billing_currency, uppercase),
            tag_set,
        };
        // A row without ListCost claims no saving: its list cost is its billed cost.
        let list = row.list_cost.unwrap_or(row.billed_cost);
        let contracted = row.contracted_cost.unwrap_or(row.effective_cost);
        let totals = partition.totals_by_id.entry(key.currency).or_default();
        totals.billed += row.billed_cost;
        totals.effective += row.effective_cost;
        totals.list += list;
        let sums = partition.daily_by_id.entry(key).or_default();
        sums.billed += row.billed_cost;
        sums.effective += row.effective_cost;
        sums.list += list;
        sums.contracted += contracted;
        sums.n_rows += 1;
        partition.n_rows += 1;
        if !partition.sources.iter().any(|(f, _)| f.as_str() == file) {
            partition
                .sources
                .insert((file.to_owned(), format.to_owned()));
        }
        if let (Some(detail), Some(detail_writer)) = (&partition.detail, &mut self.detail_writer) {
            partition.pending.push(row);
            self.n_pending += 1;
            if partition.pending.len() >= BATCH_ROWS {
                self.n_pending = self.n_pending.saturating_sub(partition.pending.len());
                let rows =
                    std::mem::replace(&mut partition.pending, Vec::with_capacity(BATCH_ROWS));
                detail_writer.send(DetailMessage::Rows(detail.slot, rows))?;
            }
        }
        if self.n_pending >= MAX_PENDING_ROWS {
            self.send_pending()?;
        }
        Ok(())
    }

    /// Sends every load's waiting detail rows to the detail writer.
    fn send_pending(&mut self) -> Result<(), IngestError> {
        let Some(detail_writer) = &mut self.detail_writer else {
            return Ok(());
        };
        for partition in self.partitions.values_mut() {
            if let Some(detail) = &partition.detail {
                let rows = std::mem::take(&mut partition.pending);
                if !rows.is_empty() {
                    detail_writer.send(DetailMessage::Rows(detail.slot, rows))?;
                }
            }
        }
        self.n_pending = 0;
        Ok(())
    }

    /// Turns the interned totals into the store's.
    fn resolve_totals(&mut self) {
        let dimensions = &self.dimensions;
        for partition in self.partitions.values_mut() {
            for (currency, totals) in partition.totals_by_id.drain() {
                let currency = dimensions.uppercase.value(currency).to_owned();
                partition.totals.insert(currency, totals);
            }
        }
    }

    /// Sends every load's last rows to the detail writer and waits until all are written.
    fn finish_detail(&mut self) -> Result<(), IngestError> {
        self.send_pending()?;
        let Some(mut detail_writer) = self.detail_writer.take() else {
            return Ok(());
        };
        let mut writers = detail_writer.finish()?;
        for partition in self.partitions.values_mut() {
            if let Some(detail) = &mut partition.detail {
                detail.writer = writers.get_mut(detail.slot).and_then(Option::take);
            }
        }
        Ok(())
    }

    /// Returns the number of rows read.
    pub fn n_rows(&self) -> u64 {
        self.files.iter().map(|f| f.rows).sum()
    }
}

/// The columns every row needs: a problem there is never only a warning.
const ESSENTIAL: &[&str] = &[
    "BilledCost",
    "EffectiveCost",
    "AmortizedCost",
    "BillingCurrency",
    "BilledCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "BillingAccountId",
    "ChargeCategory",
    "ChargeType",
];

/// Tells whether a violation loses nothing an analysis needs, so the ingest goes on and reports
/// it: a value that differs from an allowed one only in case (read as the allowed value), or a
/// null in a column that should have a value but that no analysis depends on (FOCUS's own
/// sample file has both: `Usage-based`, and null ContractedCost).
pub fn is_tolerable(violation: &Violation) -> bool {
    let essential = violation
        .column
        .as_deref()
        .is_some_and(|c| ESSENTIAL.iter().any(|e| e.eq_ignore_ascii_case(c)));
    match violation.problem {
        Problem::CaseMismatch { .. } => true,
        Problem::Null => !essential,
        _ => false,
    }
}

/// Violations an ingest tolerated, counted per file, column and problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarningSummary {
    pub file: String,
    pub column: String,
    pub count: u64,
    /// The first one, in full.
    pub example: String,
}

/// Reads every file to the end, validating every value. Blocking: run it off the async
/// runtime. Each file is `(path, name)`: the name is what errors and the loads' sources show
/// (an upload's name, say). Nothing is kept of a file with a violation that is not
/// [`is_tolerable`]; the first [`MAX_VIOLATIONS`] of them are returned.
pub fn parse_files(
    files: &[(PathBuf, String)],
    target: Option<DetailTarget>,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Parsed, IngestError> {
    let detail_writer = match target {
        Some(_) => Some(DetailWriter::start()?),
        None => None,
    };
    let mut parsed = Parsed {
        target,
        detail_writer,
        ..Parsed::default()
    };
    let mut violations: Vec<Violation> = Vec::new();
    let mut warnings: BTreeMap<(String, String, String), WarningSummary> = BTreeMap::new();
    let mut rows_before = 0u64;
    for (i, (path, display)) in files.iter().enumerate() {
        let options = ReadOptions {
            format: None,
            on_error: OnError::Collect {
                max_errors: MAX_VIOLATIONS,
            },
        };
        let mut reader = CostReader::open_as(path, display.as_str(), options)?;
        let format = reader.format().to_string();
        let name: Arc<str> = Arc::from(display.as_str());
        loop {
            let batch = match reader.next_batch(BATCH_ROWS) {
                Ok(Some(batch)) => batch,
                Ok(None) => break,
                Err(ReadError::TooManyErrors { .. }) => {
                    violations.extend(
                        reader
                            .take_violations()
                            .into_iter()
                            .filter(|v| !is_tolerable(v)),
                    );
                    break;
                }
                Err(e) => return Err(e.into()),
            };
            for v in reader.take_violations() {
                if !is_tolerable(&v) {
                    if violations.len() < MAX_VIOLATIONS {
                        violations.push(v);
                    }
                    continue;
                }
                let kind = match v.problem {
                    Problem::CaseMismatch { .. } => "case",
                    _ => "null",
                };
                let column = v.column.as_deref().unwrap_or_default().to_owned();
                warnings
                    .entry((display.clone(), column.clone(), kind.to_owned()))
                    .and_modify(|w| w.count += 1)
                    .or_insert_with(|| WarningSummary {
                        file: display.clone(),
                        column,
                        count: 1,
                        example: v.to_string(),
                    });
            }
            if violations.is_empty() {
                for row in batch {
                    parsed.add(row, &name, &format)?;
                }
            }
            progress(&Progress {
                file_index: i + 1,
                n_files: files.len(),
                file: display.clone(),
                rows: rows_before + reader.rows_read(),
            });
            if violations.len() >= MAX_VIOLATIONS {
                break;
            }
        }
        rows_before += reader.rows_read();
        parsed.files.push(FileSummary {
            file: display.clone(),
            format,
            rows: reader.rows_read(),
            unknown_columns: reader
                .unknown_columns()
                .iter()
                .map(|c| c.to_string())
                .collect(),
        });
    }
    if !violations.is_empty() {
        return Err(IngestError::Invalid { violations });
    }
    parsed.finish_detail()?;
    parsed.resolve_totals();
    parsed.warnings = warnings.into_values().collect();
    Ok(parsed)
}

/// Who ingests, and when.
#[derive(Debug, Clone)]
pub struct IngestContext {
    pub tenant: String,
    pub caller: String,
    pub caller_name: Option<String>,
    pub correlation_id: String,
    pub now: DateTime<Utc>,
}

fn totals_json(totals: &BTreeMap<String, Totals>) -> Value {
    let mut out = serde_json::Map::new();
    for (currency, t) in totals {
        out.insert(
            currency.clone(),
            json!({
                "billedCost": t.billed.normalize().to_string(),
                "effectiveCost": t.effective.normalize().to_string(),
                "listCost": t.list.normalize().to_string(),
            }),
        );
    }
    Value::Object(out)
}

/// Stores what was read: finishes each load's detail file, then one transaction replaces
/// every load the files hold, each with its activity-log event; after the commit the replaced
/// loads' detail files are removed. If the transaction fails, the new files are removed and
/// the stored loads stay as they were.
pub async fn store_parsed(
    store: &Store,
    ctx: &IngestContext,
    parsed: Parsed,
) -> Result<IngestReport, IngestError> {
    let details = parsed.target.as_ref().map(|t| t.details.clone());
    let dimensions = &parsed.dimensions;
    let mut loads = Vec::with_capacity(parsed.partitions.len());
    // Relative paths of the new detail files, staged or published.
    let mut written: Vec<String> = Vec::new();
    let result = async {
        for ((account, period), mut partition) in parsed.partitions {
            // Convert to nano-units before the transaction starts, so a refusal writes nothing.
            let mut daily: Vec<(DayKey, DailySums)> =
                Vec::with_capacity(partition.daily_by_id.len());
            for (key, sums) in partition.daily_by_id {
                let too_large = || IngestError::TooLarge {
                    account: account.clone(),
                    day: key.day.format("%Y-%m-%d").to_string(),
                    currency: dimensions.uppercase.value(key.currency).to_owned(),
                };
                let stored = DailySums {
                    billed_nanos: to_nanos(sums.billed).ok_or_else(too_large)?,
                    effective_nanos: to_nanos(sums.effective).ok_or_else(too_large)?,
                    list_nanos: to_nanos(sums.list).ok_or_else(too_large)?,
                    contracted_nanos: to_nanos(sums.contracted).ok_or_else(too_large)?,
                    n_rows: sums.n_rows,
                };
                daily.push((key, stored));
            }
            let mut tag_sets: Vec<(i64, Vec<(String, String)>)> =
                partition.tag_sets.into_iter().collect();
            tag_sets.sort_by_key(|(id, _)| *id);
            let sources: Vec<Value> = partition
                .sources
                .iter()
                .map(|(file, format)| json!({ "file": file, "format": format }))
                .collect();
            let (load_id, detail_path) = match partition.detail.take() {
                Some(DetailFile {
                    writer: Some(writer),
                    load_id,
                    relative,
                    ..
                }) => {
                    writer.commit().map_err(detail_error)?;
                    written.push(relative.clone());
                    if let Some(details) = &details {
                        details
                            .publish(&relative)
                            .await
                            .map_err(|e| IngestError::Detail(error_chain(&e)))?;
                    }
                    (load_id, relative)
                }
                Some(DetailFile { writer: None, .. }) => {
                    return Err(IngestError::Detail("a load's detail file was lost".into()))
                }
                None => (uuid::Uuid::new_v4().to_string(), String::new()),
            };
            let row = CostLoadRow {
                billing_account_id: account.clone(),
                period: period.clone(),
                load_id,
                sources: Value::Array(sources),
                n_rows: partition.n_rows,
                totals: totals_json(&partition.totals),
                detail_path,
                loaded_at: leitstand_store::format_time(ctx.now),
                loaded_by: ctx.caller.clone(),
            };
            loads.push((row, daily, tag_sets, partition.totals));
        }
        let mut tx = store.begin_write(&ctx.tenant, ctx.now).await?;
        let mut summaries = Vec::with_capacity(loads.len());
        let mut replaced: Vec<String> = Vec::new();
        for (row, daily, tag_sets, totals) in loads {
            // The store's keys of one load at a time: they take several times the memory of
            // the interned ones.
            let mut daily_rows: Vec<(DailyKey, DailySums)> = daily
                .iter()
                .map(|(key, sums)| {
                    let key = dimensions.daily_key(&row.billing_account_id, &row.period, key);
                    (key, *sums)
                })
                .collect();
            drop(daily);
            daily_rows.sort_by(|a, b| a.0.cmp(&b.0));
            let previous = tx.replace_cost_load(&row, &daily_rows, &tag_sets).await?;
            let mut event = EventDraft::new(
                "Leitstand.Costs/loads/write",
                "/",
                ctx.caller.clone(),
                ctx.correlation_id.clone(),
            );
            event.caller_name = ctx.caller_name.clone();
            event.before = previous.as_ref().map(load_json);
            event.after = Some(load_json(&row));
            tx.append_event(event).await?;
            summaries.push(LoadSummary {
                billing_account_id: row.billing_account_id.clone(),
                period: row.period.clone(),
                rows: row.n_rows,
                daily_rows: daily_rows.len(),
                totals,
                replaced: previous.is_some(),
            });
            if let Some(previous) = previous {
                if !previous.detail_path.is_empty() && previous.detail_path != row.detail_path {
                    replaced.push(previous.detail_path);
                }
            }
        }
        tx.commit().await?;
        Ok::<_, IngestError>((summaries, replaced))
    }
    .await;
    match result {
        Ok((summaries, replaced)) => {
            if let Some(details) = &details {
                for relative in replaced {
                    remove_detail(details, &relative).await;
                }
                sweep(store, &ctx.tenant, details).await;
            }
            Ok(IngestReport {
                files: parsed.files,
                loads: summaries,
                warnings: parsed.warnings,
            })
        }
        Err(e) => {
            if let Some(details) = &details {
                for relative in &written {
                    remove_detail(details, relative).await;
                }
            }
            Err(e)
        }
    }
}

/// How old a file no load names must be before a sweep removes it: younger ones may belong to
/// an ingest still running (it writes its files before its transaction commits).
pub const ORPHAN_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes what killed ingests left: temporary files and detail files that no load names,
/// once they are older than [`ORPHAN_AGE`], in the local cost directory, in this server's cache
/// of the object store and in the object store itself. Failures are logged.
pub async fn sweep(store: &Store, tenant: &str, details: &DetailStore) {
    let loads = match store.cost_loads(tenant).await {
        Ok(loads) => loads,
        Err(e) => {
            tracing::warn!(error = %e, "could not list the cost loads to sweep orphan files");
            return;
        }
    };
    let named: BTreeSet<&str> = loads
        .iter()
        .filter(|l| !l.detail_path.is_empty())
        .map(|l| l.detail_path.as_str())
        .collect();
    let tenant_part = format!("tenant={}", leitstand_finops::store::encode_segment(tenant));
    let cost_dir = details.cost_dir();
    let old = |path: &Path| {
        std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= ORPHAN_AGE)
    };
    // Staged files (and, without an object store, the detail files themselves), and the cache.
    for root in [cost_dir.to_path_buf(), cost_dir.join("cache")] {
        let tenant_dir = root.join(&tenant_part);
        let mut files = Vec::new();
        if walk(&tenant_dir, &mut files).is_err() {
            continue;
        }
        collect_hidden(&tenant_dir, &mut files);
        for path in files {
            let relative = path
                .strip_prefix(&root)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            if named.contains(relative.as_str()) || !old(&path) {
                continue;
            }
            if let Err(e) = std::fs::remove_file(&path) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(file = %path.display(), error = %e, "could not remove an orphan cost detail file");
                }
            }
        }
    }
    if details.url().is_none() {
        return;
    }
    let stored = match details.list(&tenant_part).await {
        Ok(stored) => stored,
        Err(e) => {
            tracing::warn!(error = %e, "could not list the object store to sweep orphan files");
            return;
        }
    };
    let now = chrono::Utc::now();
    let max_age = chrono::Duration::from_std(ORPHAN_AGE).unwrap_or(chrono::Duration::MAX);
    let named: BTreeSet<String> = named.iter().map(|r| DetailStore::object_name(r)).collect();
    for file in stored {
        if !named.contains(&file.relative) && now - file.modified >= max_age {
            if let Err(e) = details.remove_object(&file.relative).await {
                tracing::warn!(file = %file.relative, error = %e, "could not remove an orphan cost detail object");
            }
        }
    }
}

/// Collects the temporary files (`.*.tmp`, `.*.download`) under `dir`, which `walk` skips.
fn collect_hidden(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            collect_hidden(&path, out);
        } else if name.starts_with('.') && (name.ends_with(".tmp") || name.ends_with(".download")) {
            out.push(path);
        }
    }
}

/// Removes a detail file that no load names any more, wherever it is; a failure only leaves
/// an orphan file.
async fn remove_detail(details: &DetailStore, relative: &str) {
    if let Err(e) = details.remove(relative).await {
        tracing::warn!(file = relative, error = %e, "could not remove a replaced cost detail file");
    }
}

impl LoadSummary {
    /// The summary as the API and the CLI show it (exact decimals as strings).
    pub fn to_json(&self) -> Value {
        json!({
            "billingAccountId": self.billing_account_id,
            "billingPeriod": self.period,
            "rows": self.rows,
            "dailyRows": self.daily_rows,
            "replaced": self.replaced,
            "totals": self.totals.iter().map(|(c, t)| (c.clone(), json!({
                "billedCost": t.billed.normalize().to_string(),
                "effectiveCost": t.effective.normalize().to_string(),
            }))).collect::<serde_json::Map<_, _>>(),
        })
    }
}

/// A load as the activity log records it.
pub fn load_json(row: &CostLoadRow) -> Value {
    json!({
        "billingAccountId": row.billing_account_id,
        "billingPeriod": row.period,
        "loadId": row.load_id,
        "rows": row.n_rows,
        "sources": row.sources,
        "totals": row.totals,
        "detailPath": row.detail_path,
    })
}

/// What an ingest set off once it was stored.
#[derive(Debug, Default)]
pub struct AfterIngest {
    /// Budget notifications that fired (their messages are queued for delivery).
    pub fired: Vec<crate::budgets::Fired>,
    /// Anomalies reported for the first time.
    pub anomalies: Vec<crate::anomalies::CostAnomaly>,
}

/// Runs what follows every ingest, from the CLI or an upload alike: evaluates the tenant's
/// budgets and reports the anomalies not reported before.
pub async fn after_ingest(
    store: &Store,
    tenant: &str,
    now: DateTime<Utc>,
    caller: &str,
    correlation_id: &str,
) -> Result<AfterIngest, crate::query::QueryError> {
    let fired = crate::budgets::evaluate(store, tenant, now, caller, correlation_id).await?;
    let anomalies =
        crate::anomalies::report_new(store, tenant, now, caller, correlation_id).await?;
    Ok(AfterIngest { fired, anomalies })
}
