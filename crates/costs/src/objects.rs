//! Where the loads' detail files live: the data directory, or an S3-compatible object store
//! when one machine is not enough (several servers without a shared disk, or more detail than
//! one disk holds).
//!
//! An ingest always writes a load's detail Parquet file into the local cost directory first
//! (`{data}/costs/tenant=…/period=…/account=….{load}.parquet`). [`DetailStore::publish`] then
//! uploads it to the object store under the same relative key (below the store's prefix),
//! before the database transaction that names it commits; an object whose load never committed
//! is an orphan that [`DetailStore::sweep`] removes later, as on disk. A load's file never
//! changes (a re-ingest writes a new load id), so a server that reads a detail file it does not
//! have downloads it once into `{data}/costs/cache/` and keeps it ([`DetailStore::fetch`]).
//!
//! The object store is named by a URL, `s3://bucket[/prefix]`; endpoint, region and credentials
//! come from the environment as AWS's own tools read them (`AWS_ENDPOINT_URL`, `AWS_REGION`,
//! web-identity federation via `AWS_WEB_IDENTITY_TOKEN_FILE` and `AWS_ROLE_ARN`, or the instance
//! or container role; static keys only where nothing else exists), via the `object_store`
//! crate of the Apache Arrow project.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use tokio::io::AsyncWriteExt;

/// Why the object store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error("cost store `{url}`: {message}")]
    Config { url: String, message: String },
    #[error("cost store: `{key}`: {source}")]
    Store {
        key: String,
        #[source]
        source: object_store::Error,
    },
    #[error("`{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Where detail files live. Cheap to clone.
#[derive(Clone, Debug)]
pub struct DetailStore {
    cost_dir: PathBuf,
    remote: Option<Remote>,
}

#[derive(Clone, Debug)]
struct Remote {
    url: String,
    store: Arc<dyn ObjectStore>,
    prefix: ObjectPath,
}

/// A detail file the store holds, for [`DetailStore::sweep`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// Relative to the cost directory, or its [`DetailStore::object_name`] in the object store.
    pub relative: String,
    pub modified: DateTime<Utc>,
}

impl DetailStore {
    /// Detail files in `cost_dir` only.
    pub fn local(cost_dir: PathBuf) -> DetailStore {
        DetailStore {
            cost_dir,
            remote: None,
        }
    }

    /// Detail files in the object store at `url` (`s3://bucket[/prefix]`), staged and cached in
    /// `cost_dir`.
    pub fn open(url: &str, cost_dir: PathBuf) -> Result<DetailStore, ObjectError> {
        DetailStore::open_with(url, cost_dir, &[])
    }

    /// Like [`DetailStore::open`], with settings (`aws_endpoint`, `aws_access_key_id`, …, as
    /// `object_store`'s `AmazonS3ConfigKey` names them) over those of the environment.
    pub fn open_with(
        url: &str,
        cost_dir: PathBuf,
        settings: &[(&str, &str)],
    ) -> Result<DetailStore, ObjectError> {
        let config = |message: String| ObjectError::Config {
            url: url.to_owned(),
            message,
        };
        let parsed = url::Url::parse(url).map_err(|e| config(e.to_string()))?;
        if parsed.scheme() != "s3" {
            return Err(config(
                "only s3://bucket[/prefix] URLs are supported".into(),
            ));
        }
        let bucket = parsed
            .host_str()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| config("the URL names no bucket".into()))?;
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        // A local endpoint (a test server, an on-premises store) is often plain HTTP.
        if std::env::var("AWS_ENDPOINT_URL")
            .or_else(|_| std::env::var("AWS_ENDPOINT"))
            .is_ok_and(|e| e.starts_with("http://"))
        {
            builder = builder.with_allow_http(true);
        }
        for (key, value) in settings {
            let key: AmazonS3ConfigKey = key
                .parse()
                .map_err(|e: object_store::Error| config(e.to_string()))?;
            if matches!(key, AmazonS3ConfigKey::Endpoint) && value.starts_with("http://") {
                builder = builder.with_allow_http(true);
            }
            builder = builder.with_config(key, *value);
        }
        let store = builder.build().map_err(|e| config(e.to_string()))?;
        let prefix = ObjectPath::from(parsed.path().trim_matches('/'));
        Ok(DetailStore {
            cost_dir,
            remote: Some(Remote {
                url: url.to_owned(),
                store: Arc::new(store),
                prefix,
            }),
        })
    }

    /// The local cost directory, where new detail files are written first.
    pub fn cost_dir(&self) -> &Path {
        &self.cost_dir
    }

    /// The object store's URL, if there is one.
    pub fn url(&self) -> Option<&str> {
        self.remote.as_ref().map(|r| r.url.as_str())
    }

    fn cache_path(&self, relative: &str) -> PathBuf {
        self.cost_dir.join("cache").join(relative)
    }

    /// The name of a detail file in the object store, below the prefix: its folders
    /// (`tenant=…/period=…`) and its load id, `{load}.parquet`. The billing account, which
    /// the local file name also carries, is left out: the load id alone is unique, and the
    /// account's encoded id (`%2Fproviders%2FMicrosoft%2EBilling…`) would make keys long and
    /// full of `%`, which S3 servers treat differently.
    pub fn object_name(relative: &str) -> String {
        let (dir, file) = relative.rsplit_once('/').unwrap_or(("", relative));
        let name = match file.rsplitn(3, '.').collect::<Vec<_>>()[..] {
            [extension, load, _account] => format!("{load}.{extension}"),
            _ => file.to_owned(),
        };
        if dir.is_empty() {
            name
        } else {
            format!("{dir}/{name}")
        }
    }

    fn key(remote: &Remote, name: &str) -> Result<ObjectPath, ObjectError> {
        let joined = if remote.prefix.as_ref().is_empty() {
            name.to_owned()
        } else {
            format!("{}/{name}", remote.prefix.as_ref())
        };
        ObjectPath::parse(&joined).map_err(|e| ObjectError::Store {
            key: joined.clone(),
            source: e.into(),
        })
    }

    /// Makes the freshly written `{cost_dir}/{relative}` available to every server: uploads it
    /// to the object store (in parts, streamed from disk) and moves it into the cache. Locally,
    /// nothing to do.
    pub async fn publish(&self, relative: &str) -> Result<(), ObjectError> {
        let Some(remote) = &self.remote else {
            return Ok(());
        };
        let local = self.cost_dir.join(relative);
        let key = Self::key(remote, &Self::object_name(relative))?;
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ObjectError::Io { path, source }
        };
        let mut file = tokio::fs::File::open(&local).await.map_err(io(&local))?;
        let mut upload = object_store::buffered::BufWriter::new(remote.store.clone(), key.clone());
        // A failed copy leaves the upload open: abort it (its parts are dropped). A failed
        // shutdown (completing the upload) has already given it up.
        if let Err(source) = tokio::io::copy(&mut file, &mut upload).await {
            let _ = upload.abort().await;
            return Err(ObjectError::Io {
                path: local,
                source,
            });
        }
        if let Err(source) = upload.shutdown().await {
            return Err(ObjectError::Io {
                path: local,
                source,
            });
        }
        let cached = self.cache_path(relative);
        if let Some(parent) = cached.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(io(parent))?;
        }
        tokio::fs::rename(&local, &cached)
            .await
            .map_err(io(&local))?;
        Ok(())
    }

    /// Returns a local path of the detail file `relative`, downloading it once if it is only in
    /// the object store.
    pub async fn fetch(&self, relative: &str) -> Result<PathBuf, ObjectError> {
        let Some(remote) = &self.remote else {
            return Ok(self.cost_dir.join(relative));
        };
        let cached = self.cache_path(relative);
        if tokio::fs::try_exists(&cached).await.unwrap_or(false) {
            return Ok(cached);
        }
        let key = Self::key(remote, &Self::object_name(relative))?;
        let store_error = |source| ObjectError::Store {
            key: key.to_string(),
            source,
        };
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ObjectError::Io { path, source }
        };
        let parent = cached.parent().unwrap_or(&self.cost_dir).to_path_buf();
        tokio::fs::create_dir_all(&parent)
            .await
            .map_err(io(&parent))?;
        // Into a temporary file beside it, renamed when whole: a reader never sees half a file.
        let partial = parent.join(format!(".{}.download", uuid::Uuid::new_v4().simple()));
        let result = async {
            let mut out = tokio::fs::File::create(&partial)
                .await
                .map_err(io(&partial))?;
            let mut stream = remote
                .store
                .get(&key)
                .await
                .map_err(store_error)?
                .into_stream();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(store_error)?;
                out.write_all(&chunk).await.map_err(io(&partial))?;
            }
            out.sync_all().await.map_err(io(&partial))?;
            tokio::fs::rename(&partial, &cached)
                .await
                .map_err(io(&partial))
        }
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&partial).await;
        }
        result.map(|()| cached)
    }

    /// Removes the detail file `relative` wherever it is (a replaced load's, after the commit
    /// that replaced it). A file already gone is not an error.
    pub async fn remove(&self, relative: &str) -> Result<(), ObjectError> {
        for path in [self.cost_dir.join(relative), self.cache_path(relative)] {
            match tokio::fs::remove_file(&path).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(ObjectError::Io { path, source }),
            }
        }
        self.remove_object(&Self::object_name(relative)).await
    }

    /// Removes the object `name` ([`DetailStore::object_name`]) from the object store, if there
    /// is one; an object already gone is not an error.
    pub async fn remove_object(&self, name: &str) -> Result<(), ObjectError> {
        if let Some(remote) = &self.remote {
            let key = Self::key(remote, name)?;
            match remote.store.delete(&key).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(source) => {
                    return Err(ObjectError::Store {
                        key: key.to_string(),
                        source,
                    })
                }
            }
        }
        Ok(())
    }

    /// Lists the detail files under `relative_dir` (e.g. `tenant={id}`): in the object store by
    /// [`DetailStore::object_name`], or on disk by relative path when there is none.
    pub async fn list(&self, relative_dir: &str) -> Result<Vec<StoredFile>, ObjectError> {
        let Some(remote) = &self.remote else {
            let mut out = Vec::new();
            list_local(&self.cost_dir, &self.cost_dir.join(relative_dir), &mut out);
            return Ok(out);
        };
        let prefix = Self::key(remote, relative_dir)?;
        let strip = remote.prefix.parts().count();
        let mut stream = remote.store.list(Some(&prefix));
        let mut out = Vec::new();
        while let Some(meta) = stream.next().await {
            let meta = meta.map_err(|source| ObjectError::Store {
                key: prefix.to_string(),
                source,
            })?;
            let relative: Vec<String> = meta
                .location
                .parts()
                .skip(strip)
                .map(|p| p.as_ref().to_owned())
                .collect();
            out.push(StoredFile {
                relative: relative.join("/"),
                modified: meta.last_modified,
            });
        }
        Ok(out)
    }
}

fn list_local(root: &Path, dir: &Path, out: &mut Vec<StoredFile>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        if meta.is_dir() {
            list_local(root, &path, out);
        } else if let (Ok(relative), Ok(modified)) = (path.strip_prefix(root), meta.modified()) {
            out.push(StoredFile {
                relative: relative.to_string_lossy().replace('\\', "/"),
                modified: modified.into(),
            });
        }
    }
}
