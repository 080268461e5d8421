//! The code table in `src/error.rs` is the one source: `js/types.ts`'s `V2TimErrorCode` and the
//! table of `docs/errors.md` must say exactly what it says. On a mismatch the test prints the
//! text to paste.

use tim_core::error::CODES;

fn repository_file(path: &str) -> String {
    let full = concat!(env!("CARGO_MANIFEST_DIR"), "/../../").to_owned() + path;
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// The lines between the line that is `start` and the next line that is `end`.
fn section<'a>(text: &'a str, start: &str, end: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|line| *line != start)
        .skip(1)
        .take_while(|line| *line != end)
        .collect()
}

fn assert_same(file: &str, found: Vec<&str>, expected: Vec<String>) {
    assert_eq!(
        found,
        expected,
        "{file} disagrees with rust/core/src/error.rs; the lines should read:\n{}",
        expected.join("\n")
    );
}

#[test]
fn v2_tim_error_code_in_typescript_is_the_core_table() {
    let types = repository_file("js/types.ts");
    let found = section(&types, "export const V2TimErrorCode = {", "} as const;");
    let expected = CODES
        .iter()
        .map(|c| format!("  {}: {},", c.name, c.code))
        .collect();
    assert_same("js/types.ts", found, expected);
}

#[test]
fn docs_errors_md_is_the_core_table() {
    let doc = repository_file("docs/errors.md");
    let found = section(&doc, "|---|---|---|", "");
    let expected = CODES
        .iter()
        .map(|c| format!("| {} | `{}` | {} |", c.code, c.name, c.when))
        .collect();
    assert_same("docs/errors.md", found, expected);
}

#[test]
fn codes_are_unique() {
    let mut codes: Vec<i32> = CODES.iter().map(|c| c.code).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), CODES.len());
}
