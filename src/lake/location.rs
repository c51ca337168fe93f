//! Where a lake is: a local folder, an object-store prefix, or the sample
//! lake embedded in the binary; and which of its tables exist.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use datafusion::execution::SessionState;
use datafusion::execution::object_store::ObjectStoreUrl;
use futures::TryStreamExt;
use object_store::memory::InMemory;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt};
use url::Url;

use super::check::ParquetFile;
use super::{LakeError, Table};
use crate::store::Place;

/// The sample lake made by `kpiql generate`, shipped in `data/sample/` and
/// compiled into the binary so `kpiql` works from any folder.
static SAMPLE: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/data/sample");

/// The URL the embedded sample lake is served under (an in-memory store).
const SAMPLE_URL: &str = "kpiql-sample://lake/";

/// A lake location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The sample lake embedded in the binary.
    Sample,
    /// A local folder (canonical path).
    Local(PathBuf),
    /// An object-store prefix such as `s3://bucket/lake/`.
    Remote(Url),
}

/// Where [`Location::find_table`] looks: the lake's store and its base
/// URL and path.
pub(crate) struct Finder {
    store: Arc<dyn ObjectStore>,
    base: Url,
    base_path: StorePath,
}

/// A table found in a lake.
#[derive(Debug, Clone)]
pub struct TableSource {
    /// The URL DataFusion lists: a folder ending in `/` or one file.
    pub url: String,
    /// The Parquet files of the table (of a Delta table: those its log
    /// lists).
    pub files: Vec<ParquetFile>,
    /// What its log says, for a Delta table (version, partitions, files
    /// in the folder it does not list).
    pub delta: Option<super::formats::delta::Snapshot>,
}

impl TableSource {
    /// The URL of each of `files` (objects of this table's store), from the
    /// store's root and the object's path, not by parsing a display name (a
    /// local path is read as a glob: a lake under `lake [1]/` matched
    /// nothing).
    pub fn file_urls<'a>(
        &self,
        files: impl Iterator<Item = &'a object_store::ObjectMeta>,
    ) -> Result<Vec<datafusion::datasource::listing::ListingTableUrl>, LakeError> {
        let root = datafusion::datasource::listing::ListingTableUrl::parse(&self.url)?;
        files
            .map(|f| {
                let mut url: Url = AsRef::<Url>::as_ref(&root.object_store()).clone();
                url.set_path(f.location.as_ref());
                Ok(datafusion::datasource::listing::ListingTableUrl::try_new(
                    url, None,
                )?)
            })
            .collect()
    }
}

impl Location {
    /// Understands what a user typed after `--data`: a URL with a scheme
    /// (`s3://bucket/prefix`) or a local folder, which must exist.
    pub fn parse(text: &str) -> Result<Location, LakeError> {
        match Place::parse(text)? {
            Place::Local(path) => Location::local(&path, text),
            Place::Remote(url) => Ok(Location::Remote(url)),
        }
    }

    fn local(path: &Path, text: &str) -> Result<Location, LakeError> {
        let canonical = std::fs::canonicalize(path).map_err(|e| LakeError::NotFound {
            location: text.to_string(),
            reason: e.to_string(),
        })?;
        if !canonical.is_dir() {
            return Err(LakeError::NotFound {
                location: text.to_string(),
                reason: "not a folder; a lake is a folder holding interactions/, surveys/, ..."
                    .to_string(),
            });
        }
        Ok(Location::Local(canonical))
    }

    /// The base URL of the lake, ending in `/`.
    pub fn base_url(&self) -> Url {
        match self {
            // Both are valid URLs by construction.
            Location::Sample => Url::parse(SAMPLE_URL).unwrap_or_else(|_| unreachable!()),
            Location::Local(path) => {
                Url::from_directory_path(path).unwrap_or_else(|()| unreachable!())
            }
            Location::Remote(url) => url.clone(),
        }
    }

    /// How the lake is named to a user (prompt, messages).
    pub fn display(&self) -> String {
        match self {
            Location::Sample => "sample".to_string(),
            Location::Local(path) => path.display().to_string(),
            Location::Remote(url) => url.to_string(),
        }
    }

    /// The places a table may be, as a user would write them.
    pub fn table_places(&self, table: Table) -> Vec<String> {
        self.places_of(table.name())
    }

    /// Where a table named `name` is looked for: `<name>/` and
    /// `<name>.parquet` at the root.
    pub fn places_of(&self, name: &str) -> Vec<String> {
        match self {
            Location::Local(path) => vec![
                format!("{}/", path.join(name).display()),
                path.join(format!("{name}.parquet")).display().to_string(),
            ],
            _ => {
                let base = self.base_url();
                vec![format!("{base}{name}/"), format!("{base}{name}.parquet")]
            }
        }
    }

    /// The store the lake lives in, registering the embedded sample, or a
    /// remote store configured from the environment, on first use.
    pub(super) async fn store(
        &self,
        state: &SessionState,
    ) -> Result<Arc<dyn ObjectStore>, LakeError> {
        let base = self.base_url();
        let store_url = ObjectStoreUrl::parse(&base[..url::Position::BeforePath])?;
        if state.runtime_env().object_store(&store_url).is_err() {
            match self {
                Location::Sample => {
                    crate::store::register_store(
                        state.runtime_env(),
                        &base,
                        Arc::new(sample_store().await?),
                    )?;
                }
                Location::Remote(url) => {
                    crate::store::register(state.runtime_env(), url, &Vec::new())?;
                }
                Location::Local(_) => {}
            }
        }
        state
            .runtime_env()
            .object_store(&store_url)
            .map_err(LakeError::from)
    }

    /// The lake's root folder as a path in its store.
    pub(super) fn base_path(&self) -> Result<StorePath, LakeError> {
        let base = self.base_url();
        StorePath::from_url_path(base.path()).map_err(|e| LakeError::BadLocation {
            location: base.to_string(),
            reason: e.to_string(),
        })
    }

    /// The bytes of file `name` at the lake's root (such as `targets.csv`),
    /// with its display name; None when there is no such file.
    pub async fn read_root_file(
        &self,
        state: &SessionState,
        name: &str,
    ) -> Result<Option<(String, Vec<u8>)>, LakeError> {
        let store = self.store(state).await?;
        let base = self.base_url();
        let path = StorePath::from_url_path(base.path())
            .map_err(|e| LakeError::BadLocation {
                location: base.to_string(),
                reason: e.to_string(),
            })?
            .join(name);
        let display = match self {
            Location::Local(dir) => dir.join(name).display().to_string(),
            _ => format!("{base}{name}"),
        };
        match store.get(&path).await {
            Ok(found) => {
                let bytes = found.bytes().await.map_err(|source| LakeError::Store {
                    location: display.clone(),
                    source,
                })?;
                Ok(Some((display, bytes.to_vec())))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(source) => Err(LakeError::Store {
                location: display,
                source,
            }),
        }
    }

    /// Finds each table as a folder `<table>/` or a file `<table>.parquet`;
    /// a Delta table at the version `as_of` names (else its latest). The
    /// tables are looked for at once; the first error in table order is
    /// the answer, as if they had been looked for one by one.
    pub(crate) async fn find_tables(
        &self,
        state: &SessionState,
        as_of: Option<super::formats::delta::AsOf>,
    ) -> Result<Vec<(Table, Option<TableSource>)>, LakeError> {
        let finder = self.finder(state).await?;
        let finder = &finder;
        futures::future::join_all(
            Table::ALL
                .iter()
                .map(|&table| async move { (table, self.find_table(finder, table, as_of).await) }),
        )
        .await
        .into_iter()
        .map(|(table, source)| source.map(|source| (table, source)))
        .collect()
    }

    /// The lake's store and base, once it is known there is something
    /// there: what [`Location::find_table`] looks in.
    pub(crate) async fn finder(&self, state: &SessionState) -> Result<Finder, LakeError> {
        let store = self.store(state).await?;
        let base = self.base_url();
        let base_path =
            StorePath::from_url_path(base.path()).map_err(|e| LakeError::BadLocation {
                location: base.to_string(),
                reason: e.to_string(),
            })?;
        if let Location::Remote(_) = self {
            // An object store has no folders: a prefix with nothing under it
            // is the remote form of "no such folder".
            let any = store
                .list(Some(&base_path))
                .try_next()
                .await
                .map_err(|source| LakeError::Store {
                    location: base.to_string(),
                    source,
                })?;
            if any.is_none() {
                return Err(LakeError::NotFound {
                    location: base.to_string(),
                    reason: "nothing stored under this prefix".to_string(),
                });
            }
        }
        Ok(Finder {
            store,
            base,
            base_path,
        })
    }

    /// Finds `table` as a folder `<table>/` or a file `<table>.parquet`; a
    /// Delta table at the version `as_of` names (else its latest). `None`:
    /// an optional table that is not there.
    pub(crate) async fn find_table(
        &self,
        finder: &Finder,
        table: Table,
        as_of: Option<super::formats::delta::AsOf>,
    ) -> Result<Option<TableSource>, LakeError> {
        let Finder {
            store,
            base,
            base_path,
        } = finder;
        let folder = base_path.clone().join(table.name());
        let objects: Vec<_> = store
            .list(Some(&folder))
            .try_collect()
            .await
            .map_err(|source| LakeError::Store {
                location: format!("{base}{}/", table.name()),
                source,
            })?;
        let folder_exists = !objects.is_empty()
            || matches!(self, Location::Local(p) if p.join(table.name()).is_dir());
        let file_path = base_path
            .clone()
            .join(format!("{}.parquet", table.name()).as_str());
        let file = match store.head(&file_path).await {
            Ok(meta) => Some(meta),
            Err(object_store::Error::NotFound { .. }) => None,
            Err(source) => {
                return Err(LakeError::Store {
                    location: format!("{base}{}.parquet", table.name()),
                    source,
                });
            }
        };
        let places = self.table_places(table);
        match (folder_exists, file) {
            (true, Some(_)) => Err(LakeError::AmbiguousTable {
                table,
                folder: places[0].clone(),
                file: places[1].clone(),
            }),
            (true, None) => Ok(Some(
                self.folder_source(
                    table.name(),
                    &format!("{base}{}/", table.name()),
                    &places[0],
                    &folder,
                    objects,
                    store,
                    as_of,
                )
                .await?,
            )),
            (false, Some(meta)) => Ok(Some(TableSource {
                url: format!("{base}{}.parquet", table.name()),
                files: vec![self.parquet_file(meta)],
                delta: None,
            })),
            (false, None) if table.required() => Err(LakeError::MissingTable {
                table,
                looked_at: places,
            }),
            (false, None) => Ok(None),
        }
    }

    /// The table `name` in the folder `folder` (URL `url`, shown as
    /// `display`) of the lake's `store`, whose objects are `objects`: its
    /// Parquet files, or a Delta table's live ones; an Iceberg table is
    /// refused.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn folder_source(
        &self,
        name: &str,
        url: &str,
        display: &str,
        folder: &StorePath,
        objects: Vec<object_store::ObjectMeta>,
        store: &Arc<dyn ObjectStore>,
        as_of: Option<super::formats::delta::AsOf>,
    ) -> Result<TableSource, LakeError> {
        let (objects, delta) = match super::formats::kind(folder, &objects) {
            super::formats::Kind::Parquet => (objects, None),
            super::formats::Kind::Iceberg => {
                return Err(LakeError::Iceberg {
                    table: name.to_string(),
                    place: display.to_string(),
                });
            }
            super::formats::Kind::Delta => {
                let parsed = Url::parse(url).map_err(|e| LakeError::BadLocation {
                    location: url.to_string(),
                    reason: e.to_string(),
                })?;
                let place = super::formats::delta::Place {
                    table: name,
                    display,
                    url: &parsed,
                    folder,
                    store: Arc::clone(store),
                    local: matches!(self, Location::Local(_)),
                };
                let snapshot = super::formats::delta::snapshot(&place, &objects, as_of).await?;
                (snapshot.files.clone(), Some(snapshot))
            }
        };
        let mut files: Vec<ParquetFile> = objects
            .into_iter()
            .filter(|m| is_parquet(&m.location))
            .map(|m| self.parquet_file(m))
            .collect();
        files.sort_by(|a, b| a.meta.location.cmp(&b.meta.location));
        Ok(TableSource {
            url: url.to_string(),
            files,
            delta,
        })
    }

    /// A listed object as a file of the lake, named as a user would name it.
    pub(crate) fn parquet_file(&self, meta: object_store::ObjectMeta) -> ParquetFile {
        let display = match self {
            Location::Local(_) => format!("/{}", meta.location),
            _ => {
                let base = self.base_url();
                format!("{}/{}", &base[..url::Position::BeforePath], meta.location)
            }
        };
        ParquetFile { meta, display }
    }
}

/// Whether a listed object is one of a table's files: every `*.parquet`
/// at any depth (DESIGN §1), as at open, so while `serve` runs.
pub(crate) fn is_parquet(path: &StorePath) -> bool {
    path.as_ref().ends_with(".parquet")
}

/// An in-memory object store holding the embedded sample lake. The bytes
/// are static: `Bytes::from_static` copies nothing.
async fn sample_store() -> Result<InMemory, LakeError> {
    let store = InMemory::new();
    let mut stack = vec![&SAMPLE];
    while let Some(dir) = stack.pop() {
        for entry in dir.entries() {
            match entry {
                include_dir::DirEntry::Dir(d) => stack.push(d),
                include_dir::DirEntry::File(f) => {
                    let path = StorePath::from(f.path().to_string_lossy().as_ref());
                    store
                        .put(&path, Bytes::from_static(f.contents()).into())
                        .await
                        .map_err(|source| LakeError::Store {
                            location: format!("{SAMPLE_URL}{path}"),
                            source,
                        })?;
                }
            }
        }
    }
    Ok(store)
}
