//! What a table folder is (DESIGN §1, issue 25): loose Parquet files, a
//! Delta Lake table (read through its log, [`delta`]), or an Iceberg table
//! (refused: kpiql cannot read one yet, and its folder's Parquet files
//! include deleted rows, so reading them loose would give wrong numbers).

pub mod delta;
pub mod kernel;
pub mod partitioned;

use object_store::ObjectMeta;
use object_store::path::Path as StorePath;

/// The kind of a table folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Every `*.parquet` at any depth is the table.
    Parquet,
    /// `_delta_log/` beside the data: the log says which files are the
    /// table.
    Delta,
    /// `metadata/*.metadata.json`: an Iceberg table.
    Iceberg,
}

/// The kind of the folder `folder`, from the objects listed under it.
pub fn kind(folder: &StorePath, objects: &[ObjectMeta]) -> Kind {
    let relative = |meta: &ObjectMeta| -> Option<String> {
        meta.location.prefix_match(folder).map(|parts| {
            parts
                .map(|p| p.as_ref().to_string())
                .collect::<Vec<_>>()
                .join("/")
        })
    };
    let mut kind = Kind::Parquet;
    for meta in objects {
        let Some(rel) = relative(meta) else { continue };
        if rel.starts_with(delta::LOG_DIR) {
            return Kind::Delta;
        }
        if rel.starts_with("metadata/") && rel.ends_with(".metadata.json") {
            kind = Kind::Iceberg;
        }
    }
    kind
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(path: &str) -> ObjectMeta {
        ObjectMeta {
            location: StorePath::from(path),
            last_modified: chrono::DateTime::<chrono::Utc>::MIN_UTC,
            size: 0,
            e_tag: None,
            version: None,
        }
    }

    #[test]
    fn a_folder_is_known_by_what_it_holds() {
        let folder = StorePath::from("lake/interactions");
        let k = |paths: &[&str]| kind(&folder, &paths.iter().map(|p| meta(p)).collect::<Vec<_>>());
        assert_eq!(k(&["lake/interactions/a.parquet"]), Kind::Parquet);
        assert_eq!(
            k(&[
                "lake/interactions/a.parquet",
                "lake/interactions/_delta_log/00000000000000000000.json"
            ]),
            Kind::Delta
        );
        assert_eq!(
            k(&[
                "lake/interactions/data/a.parquet",
                "lake/interactions/metadata/v1.metadata.json"
            ]),
            Kind::Iceberg
        );
        // A month folder named `metadata` of loose files is not Iceberg.
        assert_eq!(k(&["lake/interactions/metadata/a.parquet"]), Kind::Parquet);
    }
}
