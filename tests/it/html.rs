//! HTML pages (`--format html`, `batch --html`): each preset report's page
//! parses, fetches nothing, shows the CSV output's cells, and draws one mark
//! per value its `@chart` lines declare; headless Chromium opens every page
//! offline without errors and with charts of non-zero size.

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use assert_cmd::Command;
use quick_xml::events::Event;

use crate::fixtures::sample_csv;

/// An element of a parsed page.
#[derive(Debug, Default)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
    text: String,
}

impl Node {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn has_class(&self, class: &str) -> bool {
        self.attr("class")
            .is_some_and(|c| c.split_whitespace().any(|w| w == class))
    }

    /// Every element below (and including) this one, depth first.
    fn all(&self) -> Vec<&Node> {
        let mut out = vec![self];
        for c in &self.children {
            out.extend(c.all());
        }
        out
    }

    fn find_all(&self, name: &str) -> Vec<&Node> {
        self.all().into_iter().filter(|n| n.name == name).collect()
    }

    /// The text of this element and everything in it.
    fn full_text(&self) -> String {
        let mut t = self.text.clone();
        for c in &self.children {
            t.push_str(&c.full_text());
        }
        t
    }
}

/// Parses a page strictly as XML (kpiql writes polyglot HTML: every
/// element closed, only XML's entities), so a stray tag fails here.
fn parse(html: &str) -> Node {
    let mut reader = quick_xml::Reader::from_str(html);
    reader.config_mut().check_end_names = true;
    let mut stack = vec![Node {
        name: "#document".into(),
        ..Node::default()
    }];
    let element = |e: &quick_xml::events::BytesStart<'_>| Node {
        name: String::from_utf8_lossy(e.name().as_ref()).into_owned(),
        attrs: e
            .attributes()
            .map(|a| {
                let a = a.expect("a well-formed attribute");
                (
                    String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                    String::from_utf8_lossy(&a.value).into_owned(),
                )
            })
            .collect(),
        ..Node::default()
    };
    loop {
        match reader.read_event().expect("the page parses") {
            Event::Start(e) => stack.push(element(&e)),
            Event::Empty(e) => {
                let node = element(&e);
                stack.last_mut().expect("open").children.push(node);
            }
            Event::End(_) => {
                let node = stack.pop().expect("open");
                stack.last_mut().expect("parent").children.push(node);
            }
            Event::Text(t) => stack
                .last_mut()
                .expect("open")
                .text
                .push_str(&t.decode().expect("utf-8")),
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().expect("a character reference") {
                    Some(c) => c.to_string(),
                    None => match &*r.decode().expect("utf-8") {
                        "amp" => "&".into(),
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "quot" => "\"".into(),
                        "apos" => "'".into(),
                        other => panic!("an entity XML does not know: &{other};"),
                    },
                };
                stack.last_mut().expect("open").text.push_str(&c);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "every element is closed");
    stack.pop().expect("document")
}

/// Fails on anything that would make a page fetch: a URL attribute other
/// than a same-folder link, an external stylesheet or script, CSS url().
fn assert_self_contained(name: &str, page: &Node) {
    for node in page.all() {
        assert!(
            !matches!(
                node.name.as_str(),
                "script" | "link" | "img" | "iframe" | "object" | "embed" | "image"
            ),
            "{name}: a <{}> element",
            node.name
        );
        for (key, value) in &node.attrs {
            if key == "xmlns" {
                continue; // a namespace name, never fetched
            }
            let fetches =
                ["src", "href", "xlink:href", "srcset", "poster", "data"].contains(&key.as_str());
            assert!(
                !fetches || !(value.contains("://") || value.starts_with("//")),
                "{name}: <{} {key}={value:?}> points outside the page",
                node.name
            );
            assert!(
                !value.contains("url("),
                "{name}: {key}={value:?} uses url()"
            );
        }
        if node.name == "style" {
            assert!(
                !node.text.contains("url(") && !node.text.contains("@import"),
                "{name}: the stylesheet fetches something"
            );
        }
    }
}

fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.expect("a row").iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// The marks of one figure: filled bars and points in a mark colour.
fn marks(figure: &Node) -> usize {
    let colours: Vec<String> = kpiql::html::MARKS
        .iter()
        .chain(kpiql::html::STATUS.iter().map(|(_, c)| c))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let coloured = |n: &&Node| {
        n.attr("fill")
            .is_some_and(|f| colours.contains(&f.to_ascii_uppercase()))
    };
    figure
        .all()
        .into_iter()
        .filter(|n| n.name == "rect" || n.name == "circle")
        .filter(coloured)
        .count()
}

fn run_ok(args: &[&str]) {
    let out = Command::cargo_bin("kpiql")
        .expect("binary")
        .env_remove("KPIQL_DATA")
        .args(args)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn catalog() -> kpiql::reports::Catalog {
    kpiql::reports::Catalog::load(None, &[]).expect("the built-in reports")
}

#[test]
fn every_report_page_shows_its_csv_and_its_charts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = catalog();
    let mut checked = 0;
    for report in catalog.reports() {
        let name = report.name.as_str();
        let file = dir.path().join(format!("{name}.html"));
        run_ok(&["-q", "report", name, "--out", file.to_str().expect("utf-8")]);
        let html = std::fs::read_to_string(&file).expect("the page");
        let page = parse(&html);
        assert_self_contained(name, &page);

        // The table: the CSV output's header and cells, in order.
        let (header, rows) = csv_rows(&sample_csv(&["report", name]));
        let data = page
            .all()
            .into_iter()
            .find(|n| n.name == "section" && n.has_class("data"))
            .unwrap_or_else(|| panic!("{name}: no data section"));
        let table = &data.find_all("table")[0];
        let th: Vec<String> = table.find_all("th").iter().map(|n| n.full_text()).collect();
        assert_eq!(th, header, "{name}: the table's header");
        let body = &table.find_all("tbody")[0];
        let trs = body.find_all("tr");
        assert_eq!(trs.len(), rows.len(), "{name}: rows");
        for (i, (tr, row)) in trs.iter().zip(&rows).enumerate() {
            let cells: Vec<String> = tr.find_all("td").iter().map(|n| n.full_text()).collect();
            assert_eq!(&cells, row, "{name}: row {i}");
        }
        // Numbers are right-aligned: numeric columns carry class num.
        let numeric = table
            .find_all("th")
            .iter()
            .filter(|n| n.has_class("num"))
            .count();
        assert!(numeric > 0, "{name}: no numeric column is marked");

        // Each declared chart, with one mark per value it draws.
        let figures: Vec<&Node> = page
            .find_all("figure")
            .into_iter()
            .filter(|n| n.has_class("chart"))
            .collect();
        assert_eq!(figures.len(), report.charts.len(), "{name}: charts");
        for (chart, figure) in report.charts.iter().zip(&figures) {
            let col = |c: &str| {
                header
                    .iter()
                    .position(|h| h == c)
                    .unwrap_or_else(|| panic!("{name}: no column {c}"))
            };
            let kept: Vec<&Vec<String>> = rows
                .iter()
                .filter(|r| chart.filter.iter().all(|(c, v)| &r[col(c)] == v))
                .collect();
            let what = format!("{name}: chart {:?}", chart.title);
            if chart.kind == kpiql::reports::ChartKind::Ranking {
                let rank = col(chart.rank.as_deref().expect("rank"));
                let expected = kept.iter().filter(|r| !r[rank].is_empty()).count();
                let listed = figure.find_all("tbody")[0].find_all("tr").len();
                assert_eq!(listed, expected, "{what}: ranked rows");
                continue;
            }
            // One mark per non-NULL value of each y column.
            let expected: usize = chart
                .y
                .iter()
                .map(|y| kept.iter().filter(|r| !r[col(y)].is_empty()).count())
                .sum();
            assert_eq!(marks(figure), expected, "{what}: marks");
            let svgs = figure.find_all("svg");
            assert!(!svgs.is_empty(), "{what}: no SVG");
            for svg in svgs {
                let title = svg.children.iter().find(|c| c.name == "title");
                let desc = svg.children.iter().find(|c| c.name == "desc");
                assert!(
                    title.is_some_and(|t| !t.text.is_empty())
                        && desc.is_some_and(|d| !d.text.is_empty()),
                    "{what}: an SVG without <title> and <desc>"
                );
            }
        }
        // The header says what, when and from where.
        let meta = page.find_all("dl")[0].full_text();
        assert!(
            meta.contains("Lake") && meta.contains("Generated"),
            "{name}: {meta}"
        );
        checked += 1;
    }
    assert_eq!(checked, 13, "the preset reports");
}

// guards: the page of a report run with targets colours bars by status
// and draws the target band (the `team` report's CSAT: one bar per team,
// all in status colours; the band's grey behind them).
#[test]
fn targets_colour_the_bars_and_draw_the_band() {
    let dir = tempfile::tempdir().expect("tempdir");
    let targets = dir.path().join("targets.csv");
    std::fs::write(
        &targets,
        "report,column,team,min,warn_min\nteam,csat_pct,,80,85\nteam,csat_pct,technical,60,\n",
    )
    .expect("targets");
    let file = dir.path().join("team.html");
    run_ok(&[
        "-q",
        "--targets",
        targets.to_str().expect("utf-8"),
        "report",
        "team",
        "--out",
        file.to_str().expect("utf-8"),
    ]);
    let page = parse(&std::fs::read_to_string(&file).expect("page"));
    let csv = sample_csv(&[
        "--targets",
        targets.to_str().expect("utf-8"),
        "report",
        "team",
    ]);
    let (header, rows) = csv_rows(&csv);
    let status = header
        .iter()
        .position(|h| h == "csat_pct_status")
        .expect("a status column");
    let figure = page
        .find_all("figure")
        .into_iter()
        .find(|f| f.full_text().contains("CSAT per team"))
        .expect("the CSAT chart");
    let fills: Vec<String> = figure
        .find_all("rect")
        .iter()
        .filter_map(|r| r.attr("fill").map(str::to_ascii_uppercase))
        .collect();
    // Each bar in its row's status colour, as many of each as the CSV says.
    for (word, colour) in kpiql::html::STATUS {
        let expected = rows.iter().filter(|r| r[status] == word).count();
        let drawn = fills.iter().filter(|f| **f == colour).count();
        assert_eq!(drawn, expected, "{word} bars");
    }
    // One band per team with a target (all of them here).
    let bands = fills.iter().filter(|f| **f == kpiql::html::BAND).count();
    assert_eq!(bands, rows.len(), "a band behind every bar");
}

// guards: a bad `@chart` line fails the report's loading, naming the
// file and the line; a chart naming a column the report lacks too.
#[test]
fn a_bad_chart_line_names_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            "-- @chart pie x=team y=n | Share",
            "unknown chart kind \"pie\"",
        ),
        (
            "-- @chart bars x=team y=calls | Calls",
            "y=calls: the report declares no column \"calls\"",
        ),
        (
            "-- @chart bars x=team y=team | Teams",
            "y=team: the column is not a number",
        ),
    ];
    for (line, expected) in cases {
        let file = dir.path().join("mine.sql");
        std::fs::write(
            &file,
            format!(
                "-- @report mine\n-- @description Mine.\n-- @column team - | Team.\n-- @column n count | Contacts.\n{line}\nSELECT team, count(*) AS n FROM interactions GROUP BY team\n"
            ),
        )
        .expect("write");
        let out = Command::cargo_bin("kpiql")
            .expect("binary")
            .env_remove("KPIQL_DATA")
            .args(["--queries", dir.path().to_str().expect("utf-8")])
            .args(["report", "mine", "--format", "html"])
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{line}: {stderr}");
        assert!(
            stderr.contains(&format!("{}:5: @chart: {expected}", file.display())),
            "{line}: {stderr}"
        );
    }
}

// guards: a user's own report gets charts from its header alone.
#[test]
fn a_users_report_gets_its_declared_chart() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("per_channel.sql"),
        "-- @report per_channel\n-- @description Contacts per channel.\n\
         -- @column channel - | Channel.\n-- @column n count | Contacts.\n\
         -- @chart hbars x=channel y=n | Contacts per channel\n\
         SELECT channel, count(*) AS n FROM interactions GROUP BY channel ORDER BY channel\n",
    )
    .expect("write");
    let out = Command::cargo_bin("kpiql")
        .expect("binary")
        .env_remove("KPIQL_DATA")
        .args(["-q", "--queries", dir.path().to_str().expect("utf-8")])
        .args(["report", "per_channel", "--format", "html"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = parse(&String::from_utf8_lossy(&out.stdout));
    // One bar per channel of the lake (every group has a count).
    let (_, channels) = csv_rows(&sample_csv(&[
        "sql",
        "SELECT channel FROM interactions GROUP BY channel",
    ]));
    let figure = &page.find_all("figure")[0];
    assert!(channels.len() > 2, "the sample has channels");
    assert_eq!(marks(figure), channels.len());
    assert!(figure.full_text().contains("Contacts per channel"));
}

fn chromium() -> PathBuf {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("chromium"))
        .find(|p| p.is_file());
    found.expect(
        "the browser tests need Debian's chromium on the PATH (apt-get install chromium; .ci/run installs it)",
    )
}

/// Chromium, headless, with the network off: every host resolves to
/// nothing and every connection goes to a closed proxy.
fn browser(profile: &Path) -> StdCommand {
    let mut cmd = StdCommand::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=http://127.0.0.1:9",
        "--window-size=1280,1800",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

/// What the probe script reports: `sizes|resources|errors|state`.
const PROBE: &str = r#"<script>
window.__errors = [];
window.addEventListener('error', function (e) { window.__errors.push(String(e.message || e.type)); }, true);
var __error = console.error;
console.error = function () { window.__errors.push(Array.prototype.join.call(arguments, ' ')); __error.apply(console, arguments); };
window.addEventListener('load', function () {
  var sizes = [];
  document.querySelectorAll('figure.chart svg').forEach(function (s) {
    var r = s.getBoundingClientRect();
    sizes.push(Math.round(r.width) + 'x' + Math.round(r.height));
  });
  var fetched = performance.getEntriesByType('resource').map(function (r) { return r.name; });
  var p = document.createElement('pre');
  p.id = 'kpiql-probe';
  p.textContent = [sizes.join(' '), fetched.join(' '), window.__errors.join(' '), document.readyState].join('|');
  document.body.appendChild(p);
});
</script>"#;

#[test]
fn pages_open_in_chromium_offline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pages = dir.path().join("pages");
    let out = dir.path().join("tables");
    run_ok(&[
        "-q",
        "batch",
        "--period",
        "2026-10",
        "--out",
        out.to_str().expect("utf-8"),
        "--html",
        pages.to_str().expect("utf-8"),
    ]);
    let catalog = catalog();
    for report in catalog.reports() {
        let name = &report.name;
        let page = pages.join(format!("{name}.html"));
        let html = std::fs::read_to_string(&page).expect("a page per report");
        // The probe goes into a copy; the page itself has no script.
        assert!(!html.contains("<script"), "{name}: the page has a script");
        let probe = dir.path().join(format!("probe_{name}.html"));
        std::fs::write(
            &probe,
            html.replacen("<head>", &format!("<head>{PROBE}"), 1),
        )
        .expect("probe");
        let profile = tempfile::tempdir().expect("profile");
        let dumped = browser(profile.path())
            .arg("--dump-dom")
            .arg(format!("file://{}", probe.display()))
            .output()
            .expect("chromium runs");
        let dom = String::from_utf8_lossy(&dumped.stdout);
        let stderr = String::from_utf8_lossy(&dumped.stderr);
        let report_line = dom
            .split("<pre id=\"kpiql-probe\">")
            .nth(1)
            .and_then(|r| r.split("</pre>").next())
            .unwrap_or_else(|| panic!("{name}: the probe did not report; chromium said {stderr}"));
        let parts: Vec<&str> = report_line.split('|').collect();
        let [sizes, fetched, errors, state] = parts[..] else {
            panic!("{name}: probe said {report_line:?}");
        };
        assert_eq!(state, "complete", "{name}: the page did not load");
        assert_eq!(fetched, "", "{name}: the page fetched {fetched}");
        assert_eq!(errors, "", "{name}: errors {errors}");
        assert!(
            !stderr.contains(":CONSOLE"),
            "{name}: console messages: {stderr}"
        );
        let sizes: Vec<&str> = sizes.split_whitespace().collect();
        let svgs = html.matches("<svg ").count();
        assert_eq!(sizes.len(), svgs, "{name}: every chart's SVG was laid out");
        for size in sizes {
            let (w, h) = size.split_once('x').expect("WxH");
            let (w, h): (u32, u32) = (w.parse().expect("w"), h.parse().expect("h"));
            assert!(w > 100 && h > 100, "{name}: a chart of {w}x{h} pixels");
        }
        // A screenshot of the page itself, not the copy.
        let shot = dir.path().join(format!("{name}.png"));
        let status = browser(profile.path())
            .arg(format!("--screenshot={}", shot.display()))
            .arg(format!("file://{}", page.display()))
            .output()
            .expect("chromium runs");
        let png = std::fs::read(&shot).unwrap_or_else(|_| {
            panic!(
                "{name}: no screenshot: {}",
                String::from_utf8_lossy(&status.stderr)
            )
        });
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 10_000,
            "{name}: screenshot"
        );
    }
    // The index links every page.
    let index = parse(&std::fs::read_to_string(pages.join("index.html")).expect("index"));
    let links: Vec<&str> = index
        .find_all("a")
        .iter()
        .filter_map(|a| a.attr("href"))
        .collect();
    let expected: Vec<String> = catalog
        .reports()
        .map(|r| format!("{}.html", r.name))
        .collect();
    assert_eq!(links, expected);
}

// guards: the pages folder is replaced whole or not at all. A run that
// fails (a report that errors) leaves the previous pages; a folder of
// someone else's files is refused before any work and left as it was.
#[test]
fn batch_pages_are_published_whole_or_not_at_all() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pages = dir.path().join("pages");
    let tables = dir.path().join("tables");
    let args = |extra: &[&str]| -> std::process::Output {
        Command::cargo_bin("kpiql")
            .expect("binary")
            .env_remove("KPIQL_DATA")
            .arg("-q")
            .args(extra)
            .args(["batch", "--period", "2026-10"])
            .args(["--out", tables.to_str().expect("utf-8")])
            .args(["--html", pages.to_str().expect("utf-8")])
            .output()
            .expect("runs")
    };
    let first = args(&[]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let before = std::fs::read(pages.join("index.html")).expect("index");

    // A report that fails while it runs: no new pages.
    let queries = dir.path().join("queries");
    std::fs::create_dir(&queries).expect("mkdir");
    std::fs::write(
        queries.join("broken.sql"),
        "-- @report broken\n-- @description Fails.\n-- @param start timestamp latest_full_month_start | S.\n\
         -- @param end timestamp latest_full_month_end | E.\n-- @column x count | X.\n\
         SELECT CAST('not a number' AS INT) AS x FROM interactions WHERE created_at >= $start AND created_at < $end\n",
    )
    .expect("write");
    let failed = args(&["--queries", queries.to_str().expect("utf-8")]);
    assert!(!failed.status.success(), "the broken report fails");
    assert_eq!(
        std::fs::read(pages.join("index.html")).expect("index"),
        before,
        "the previous pages stay"
    );
    assert!(!pages.join("broken.html").exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("kpiql-pages"))
        .collect();
    assert!(leftovers.is_empty(), "staging left behind: {leftovers:?}");

    // Someone else's folder: refused before any table is written.
    let foreign = dir.path().join("foreign");
    std::fs::create_dir(&foreign).expect("mkdir");
    std::fs::write(foreign.join("notes.txt"), "mine").expect("write");
    let other_tables = dir.path().join("other_tables");
    let out = Command::cargo_bin("kpiql")
        .expect("binary")
        .env_remove("KPIQL_DATA")
        .args(["-q", "batch", "--period", "2026-10"])
        .args(["--out", other_tables.to_str().expect("utf-8")])
        .args(["--html", foreign.to_str().expect("utf-8")])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("holds notes.txt but no .kpiql-pages"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(foreign.join("notes.txt")).expect("kept"),
        "mine"
    );
    assert_eq!(std::fs::read_dir(&foreign).expect("ls").count(), 1);
    assert!(
        std::fs::read_dir(&other_tables).map_or(true, |d| d.count() == 0),
        "no table was written"
    );
}
