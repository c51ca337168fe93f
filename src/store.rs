//! Object stores for `s3://` lakes and destinations.
//!
//! A store is configured from the standard AWS environment (`AWS_ENDPOINT`,
//! `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_ALLOW_HTTP`, ...) and then from `--storage-option KEY=VALUE` flags,
//! which win. Keys are object_store's (`aws_endpoint`, `aws_region`,
//! `aws_allow_http`, `aws_virtual_hosted_style_request`, ...).

use std::sync::Arc;

use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::execution::runtime_env::RuntimeEnv;
use object_store::ObjectStore;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use url::Url;

/// `KEY=VALUE` settings for object stores, applied after the environment.
pub type StorageOptions = Vec<(String, String)>;

/// Where a user-given location points, before anything is opened: the one
/// reading of `--data` and `--out` text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A local path, from a plain path or a `file://` URL (not checked to
    /// exist: a lake must, a destination is created).
    Local(std::path::PathBuf),
    /// A URL with another scheme, its path ending in `/` (a prefix).
    Remote(Url),
}

impl Place {
    /// Reads `text`: `scheme://...` is a URL (`file://` a local path),
    /// anything else a local path.
    pub fn parse(text: &str) -> Result<Place, StoreError> {
        let bad = |reason: String| StoreError::Location {
            location: text.to_string(),
            reason,
        };
        if text.trim().is_empty() {
            return Err(bad(
                "empty; expected a folder or s3://bucket/prefix".to_string()
            ));
        }
        let Some((scheme, _)) = text.split_once("://") else {
            return Ok(Place::Local(std::path::PathBuf::from(text)));
        };
        let mut url = Url::parse(text).map_err(|e| bad(e.to_string()))?;
        if scheme == "file" {
            let path = url
                .to_file_path()
                .map_err(|()| bad("not a local path".to_string()))?;
            return Ok(Place::Local(path));
        }
        if !url.path().ends_with('/') {
            url.set_path(&format!("{}/", url.path()));
        }
        Ok(Place::Remote(url))
    }
}

/// Why a store could not be made.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A location that cannot be understood.
    #[error("bad location {location:?}: {reason}")]
    Location {
        /// The location as the user gave it.
        location: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A scheme kpiql has no store for.
    #[error("{url}: unsupported scheme {scheme:?}; use a local folder or s3://bucket/prefix")]
    Scheme {
        /// The location.
        url: String,
        /// Its scheme.
        scheme: String,
    },
    /// A `--storage-option` key object_store does not know.
    #[error(
        "unknown storage option {key:?}: expected an object_store S3 key such as aws_endpoint, aws_region, aws_allow_http"
    )]
    Option {
        /// The key.
        key: String,
    },
    /// The store's configuration was refused.
    #[error("cannot configure the object store for {url}: {source}")]
    Build {
        /// The location.
        url: String,
        /// object_store's reason.
        source: object_store::Error,
    },
}

/// The store serving `url` (`s3://bucket/...` or `file:///...`), rooted at
/// the bucket (S3) or the filesystem root (local).
pub fn store_for(url: &Url, options: &StorageOptions) -> Result<Arc<dyn ObjectStore>, StoreError> {
    match url.scheme() {
        "s3" | "s3a" => {
            let mut builder = AmazonS3Builder::from_env().with_url(url.as_str());
            for (key, value) in options {
                let key_name = key.trim().to_ascii_lowercase();
                let parsed: AmazonS3ConfigKey = key_name
                    .parse()
                    .or_else(|_| format!("aws_{key_name}").parse())
                    .map_err(|_| StoreError::Option { key: key.clone() })?;
                builder = builder.with_config(parsed, value);
            }
            let store = builder.build().map_err(|source| StoreError::Build {
                url: url.to_string(),
                source,
            })?;
            Ok(Arc::new(store))
        }
        "file" => Ok(Arc::new(LocalFileSystem::new())),
        scheme => Err(StoreError::Scheme {
            url: url.to_string(),
            scheme: scheme.to_string(),
        }),
    }
}

/// The part of `url` a store is registered under (`s3://bucket`).
pub fn store_url(url: &Url) -> Result<ObjectStoreUrl, datafusion::error::DataFusionError> {
    ObjectStoreUrl::parse(&url[..url::Position::BeforePath])
}

/// Registers the store for `url` in `runtime` unless one is registered.
pub fn register(
    runtime: &RuntimeEnv,
    url: &Url,
    options: &StorageOptions,
) -> Result<Arc<dyn ObjectStore>, StoreError> {
    if let Ok(key) = store_url(url)
        && let Ok(store) = runtime.object_store(&key)
        && options.is_empty()
    {
        return Ok(store);
    }
    let store = store_for(url, options)?;
    register_store(runtime, url, Arc::clone(&store))?;
    Ok(store)
}

/// Registers `store` in `runtime` as the store of `url`'s bucket (or of
/// local files), replacing any store registered there.
pub fn register_store(
    runtime: &RuntimeEnv,
    url: &Url,
    store: Arc<dyn ObjectStore>,
) -> Result<(), StoreError> {
    let base = Url::parse(&url[..url::Position::BeforePath]).map_err(|e| StoreError::Scheme {
        url: url.to_string(),
        scheme: e.to_string(),
    })?;
    runtime.register_object_store(&base, store);
    Ok(())
}

/// Parses `KEY=VALUE`.
pub fn parse_option(text: &str) -> Result<(String, String), String> {
    let (key, value) = text.split_once('=').ok_or_else(|| {
        format!("{text:?} is not KEY=VALUE (e.g. aws_endpoint=http://localhost:9000)")
    })?;
    Ok((key.trim().to_string(), value.to_string()))
}

/// Swaps two folders in one step (`renameat2` with `RENAME_EXCHANGE`): a
/// reader sees the old folder or the new one, never neither.
#[cfg(target_os = "linux")]
pub fn exchange(a: &std::path::Path, b: &std::path::Path) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(std::io::Error::from)
}

/// Without `renameat2`, two renames: a reader may briefly find no folder.
#[cfg(not(target_os = "linux"))]
pub fn exchange(a: &std::path::Path, b: &std::path::Path) -> std::io::Result<()> {
    let parked: std::path::PathBuf = a.with_extension("old");
    std::fs::rename(b, &parked)?;
    std::fs::rename(a, b)?;
    std::fs::rename(&parked, a)
}

/// An object-store registry that makes the store of an `s3://` bucket on
/// first use, from this process's environment (`AWS_*`), and keeps it: the
/// registry of a cluster's scheduler and executors, which receive plans
/// naming `s3://` files but no stores with them (Ballista ships neither the
/// client's stores nor its `--storage-option`s).
#[derive(Debug, Default)]
pub struct EnvStores {
    known: datafusion::execution::object_store::DefaultObjectStoreRegistry,
}

impl datafusion::execution::object_store::ObjectStoreRegistry for EnvStores {
    fn register_store(
        &self,
        url: &Url,
        store: Arc<dyn ObjectStore>,
    ) -> Option<Arc<dyn ObjectStore>> {
        self.known.register_store(url, store)
    }

    fn deregister_store(&self, url: &Url) -> datafusion::error::Result<Arc<dyn ObjectStore>> {
        self.known.deregister_store(url)
    }

    fn get_store(&self, url: &Url) -> datafusion::error::Result<Arc<dyn ObjectStore>> {
        if let Ok(store) = self.known.get_store(url) {
            return Ok(store);
        }
        let store = store_for(url, &StorageOptions::new())
            .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
        let base = Url::parse(&url[..url::Position::BeforePath])
            .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
        self.known.register_store(&base, Arc::clone(&store));
        Ok(store)
    }
}

/// delta-rs commits with put-if-absent; S3 (and S3-compatible servers that
/// honour `If-None-Match`) provide it, so S3 tables use the default log store
/// over the store kpiql configured.
pub fn register_s3_logstore() {
    use deltalake::logstore::logstore_factories;
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for scheme in ["s3://", "s3a://"] {
            if let Ok(url) = Url::parse(scheme) {
                logstore_factories().insert(url, Arc::new(PutIfAbsent));
            }
        }
    });
}

#[derive(Debug)]
struct PutIfAbsent;

impl deltalake::logstore::LogStoreFactory for PutIfAbsent {
    fn with_options(
        &self,
        prefixed_store: deltalake::logstore::ObjectStoreRef,
        root_store: deltalake::logstore::ObjectStoreRef,
        location: &Url,
        options: &deltalake::logstore::StorageConfig,
    ) -> deltalake::DeltaResult<deltalake::logstore::LogStoreRef> {
        Ok(deltalake::logstore::default_logstore(
            prefixed_store,
            root_store,
            location,
            options,
        ))
    }
}
