//! A folder of report pages (`kpiql batch --html DIR`): one page per
//! report and an `index.html` linking them, replaced as a whole.
//!
//! The pages are written to a hidden sibling folder, `.<DIR>.kpiql-pages-*`,
//! and exchanged with `DIR` in one step ([`crate::store::exchange`]), so a
//! reader (a web server, a mail job) sees the previous run's pages or this
//! run's, never a mix, and a killed run leaves `DIR` as it was. `DIR`
//! holds the file [`MARKER`]; a folder with files but without it is
//! someone else's and is refused, not replaced.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::Context;

use super::text::escape;

/// The file that marks a folder as kpiql's pages.
pub const MARKER: &str = ".kpiql-pages";

/// Staging folders of killed runs older than this are removed.
const STALE: Duration = Duration::from_secs(3600);

/// One report's page.
#[derive(Debug, Clone)]
pub struct PageFile {
    /// The report (the page is `<report>.html`).
    pub report: String,
    /// Its description.
    pub description: String,
    /// Its period, as the period column of its table says it.
    pub period: String,
    /// Rows.
    pub rows: usize,
    /// The page.
    pub html: String,
}

/// Checks, before any work, that `dir` can take the pages: it is missing,
/// empty, or kpiql's own (it holds [`MARKER`]).
pub fn check_dir(dir: &Path) -> anyhow::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("--html {}", dir.display())),
    };
    if !dir.is_dir() {
        anyhow::bail!("--html {}: not a folder", dir.display());
    }
    if dir.join(MARKER).exists() {
        return Ok(());
    }
    if let Some(entry) = entries.flatten().next() {
        anyhow::bail!(
            "--html {} holds {} but no {MARKER}: it was not written by kpiql batch and is left alone; \
             choose another --html folder or move those files",
            dir.display(),
            entry.file_name().to_string_lossy()
        );
    }
    Ok(())
}

/// Writes `pages` and their index as the new content of `dir`.
pub fn publish(
    dir: &Path,
    pages: &[PageFile],
    lake: &str,
    generated: &str,
) -> anyhow::Result<PathBuf> {
    check_dir(dir)?;
    let name = dir
        .file_name()
        .with_context(|| format!("--html {}: name a folder", dir.display()))?
        .to_string_lossy()
        .into_owned();
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    remove_stale(&parent, &name);
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}.kpiql-pages-"))
        .tempdir_in(&parent)
        .with_context(|| format!("cannot create a staging folder in {}", parent.display()))?;
    let write = |file: &str, text: &str| -> anyhow::Result<()> {
        let path = staging.path().join(file);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        std::fs::File::open(&path)
            .and_then(|f| f.sync_all())
            .with_context(|| format!("cannot sync {}", path.display()))
    };
    for page in pages {
        write(&format!("{}.html", page.report), &page.html)?;
    }
    write("index.html", &index(pages, lake, generated))?;
    write(
        MARKER,
        "pages written by kpiql batch --html; the folder is replaced by each run\n",
    )?;
    // The folder is readable as any other the user makes.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(staging.path(), std::fs::Permissions::from_mode(0o755))?;
    }
    // Checked again just before the swap: a folder filled meanwhile stays.
    check_dir(dir)?;
    let staged = staging.keep();
    let swapped = if dir.exists() {
        crate::store::exchange(&staged, dir)
    } else {
        std::fs::rename(&staged, dir)
    };
    if let Err(e) = swapped {
        let _ = std::fs::remove_dir_all(&staged);
        return Err(e).with_context(|| format!("cannot publish the pages to {}", dir.display()));
    }
    // After an exchange the staging name holds the previous pages.
    if staged.exists() {
        std::fs::remove_dir_all(&staged)
            .with_context(|| format!("cannot remove the old pages {}", staged.display()))?;
    }
    Ok(dir.join("index.html"))
}

/// Removes staging folders of runs killed more than [`STALE`] ago (a
/// younger one may be another run's, still writing).
fn remove_stale(parent: &Path, name: &str) {
    let prefix = format!(".{name}.kpiql-pages-");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > STALE);
        if stale && entry.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The index page: each report with its description, period and rows.
fn index(pages: &[PageFile], lake: &str, generated: &str) -> String {
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
         <meta name=\"generator\" content=\"kpiql {}\"/>\n<title>Reports · kpiql</title>\n\
         <style>{}</style>\n</head>\n<body>\n<header>\n<p class=\"kicker\">kpiql reports</p>\n\
         <h1>Reports</h1>\n<dl class=\"meta\">\n<dt>Lake</dt><dd>{}</dd>\n<dt>Generated</dt><dd>{}</dd>\n\
         </dl>\n</header>\n<main>\n<table class=\"index\">\n<thead><tr><th>report</th><th>period</th>\
         <th class=\"num\">rows</th><th>what it answers</th></tr></thead>\n<tbody>\n",
        env!("CARGO_PKG_VERSION"),
        super::CSS,
        escape(lake),
        escape(generated),
    );
    for page in pages {
        let _ = writeln!(
            html,
            "<tr><td><a href=\"{0}.html\">{0}</a></td><td>{1}</td><td class=\"num\">{2}</td><td>{3}</td></tr>",
            escape(&page.report),
            escape(&page.period),
            page.rows,
            escape(&page.description)
        );
    }
    html.push_str("</tbody>\n</table>\n</main>\n</body>\n</html>\n");
    html
}
