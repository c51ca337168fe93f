//! Rebuild when the embedded sample lake or the query files change:
//! `include_dir!` and `include_str!` of a folder are not tracked by cargo.
fn main() {
    println!("cargo:rerun-if-changed=data/sample");
    println!("cargo:rerun-if-changed=queries");
}
