//! Every file of the Firefox unit-test SDP corpus (`tests/data/firefox-unittests`,
//! from Mozilla's webrtc-sdp tests, MPL-2.0) either parses and round-trips byte for byte, or is one that
//! Firefox's parser rejects too and we reject it with a line-numbered error.

#![allow(clippy::std_instead_of_alloc, clippy::std_instead_of_core)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use sansrtc_sdp::{Mode, Sdp};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/firefox-unittests")
}

/// The Firefox verdict of each file, from the README table of its folder:
/// `accepts`, `accepts leniently` or `rejects`.
fn verdicts(dir: &Path) -> BTreeMap<String, String> {
    let mut verdicts = BTreeMap::new();
    let Ok(readme) = fs::read_to_string(dir.join("README.md")) else {
        return verdicts;
    };
    for row in readme.lines() {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        if let [_, file, verdict, ..] = cells.as_slice() {
            if file.ends_with(".sdp") {
                verdicts.insert((*file).to_owned(), (*verdict).to_owned());
            }
        }
    }
    verdicts
}

fn sdp_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sdp_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "sdp") {
            out.push(path);
        }
    }
}

/// What writing gives for a parsed text: the same bytes, with LF line
/// endings turned into CRLF.
fn expected_output(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let body = line
            .strip_suffix('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l));
        match body {
            Some(body) => {
                out.push_str(body);
                out.push_str("\r\n");
            }
            None => {
                out.push_str(line);
                out.push_str("\r\n");
            }
        }
    }
    out
}

#[test]
fn corpus_round_trips_or_is_rejected_like_firefox() {
    let dir = corpus_dir();
    assert!(
        dir.is_dir(),
        "the Firefox corpus is expected at {}",
        dir.display()
    );
    let mut files = Vec::new();
    sdp_files(&dir, &mut files);
    assert!(!files.is_empty());
    let mut report = String::new();
    let (mut round_tripped, mut rejected) = (0, 0);
    for path in &files {
        let folder_verdicts = verdicts(path.parent().unwrap());
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let relative = path.strip_prefix(&dir).unwrap().display().to_string();
        let firefox = folder_verdicts.get(&name).map_or("unknown", String::as_str);
        let text = fs::read_to_string(path).unwrap();
        let strict = match Sdp::parse_with(&text, Mode::Strict) {
            Ok(_) => "strict: accepts".to_owned(),
            Err(e) => format!("strict: {e}"),
        };
        match Sdp::parse(&text) {
            Ok(sdp) => {
                assert_eq!(
                    sdp.to_string(),
                    expected_output(&text),
                    "{relative} does not round-trip"
                );
                let written = sdp.to_string();
                let again = Sdp::parse(&written).unwrap();
                assert_eq!(again, sdp, "{relative}: parse(write(x)) != x");
                round_tripped += 1;
                report.push_str(&format!(
                    "{relative}: round-trips (Firefox: {firefox}; {strict})\n"
                ));
            }
            Err(error) => {
                assert_eq!(
                    firefox, "rejects",
                    "{relative}: we reject what Firefox accepts: {error}"
                );
                assert!(
                    error.line_number > 0,
                    "{relative}: error without a line number"
                );
                rejected += 1;
                report.push_str(&format!("{relative}: rejected, like Firefox: {error}\n"));
            }
        }
    }
    println!(
        "{report}{round_tripped} round-trip, {rejected} rejected, of {}",
        files.len()
    );
    assert_eq!(round_tripped + rejected, files.len());
}

/// The files Firefox accepts without warnings parse in strict mode too once
/// the spacing Chrome uses is allowed; the ones it rejects for a media
/// attribute at session level (or the reverse) are rejected in strict mode
/// at that line.
#[test]
fn strict_mode_agrees_with_firefox_on_levels() {
    let dir = corpus_dir();
    let verdicts = verdicts(&dir);
    let mut checked = 0;
    for (file, verdict) in &verdicts {
        let text = fs::read_to_string(dir.join(file)).unwrap();
        let result = Sdp::parse_strict(&text);
        if verdict == "accepts" {
            assert!(result.is_ok(), "{file}: {:?}", result.err());
            checked += 1;
        }
        if text.lines().nth(5).is_some_and(|l| l.starts_with("a=")) && verdict == "rejects" {
            if let Err(error) = result {
                if error.kind == sansrtc_sdp::ErrorKind::Level {
                    assert_eq!(error.line_number, 6, "{file}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 20, "only {checked} files checked");
}

#[test]
fn copied_browser_files_round_trip() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut files = Vec::new();
    sdp_files(&data, &mut files);
    // The Firefox corpus has its own test above (some of its files are
    // meant to be rejected).
    files.retain(|path| !path.starts_with(corpus_dir()));
    assert!(files.len() >= 4);
    for path in files {
        let text = fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("reject-") {
            let error = Sdp::parse_strict(&text).unwrap_err();
            assert!(error.line_number > 0, "{name}");
            continue;
        }
        let sdp = Sdp::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(sdp.to_string(), expected_output(&text), "{name}");
        let owned = sdp.clone().into_owned();
        assert_eq!(owned.to_string(), expected_output(&text), "{name}");
    }
}

/// Three files start with `;` comment lines, which only the example program
/// of Firefox's parser skips; both parsers reject them as they are. Without
/// the comments, strict mode rejects 11 for Firefox's reason (`a=ice-lite`
/// in a media description) and 08 at an `a=ssrc` without a source attribute
/// (RFC 5576), before reaching the short fingerprint Firefox names.
#[test]
fn commented_files_fail_for_firefox_reasons_without_comments() {
    let dir = corpus_dir();
    for (file, needle) in [("08.sdp", "a=ssrc:5150"), ("11.sdp", "a=ice-lite")] {
        let text = fs::read_to_string(dir.join(file)).unwrap();
        assert!(Sdp::parse(&text).unwrap_err().line_number == 1);
        let stripped: String = text
            .lines()
            .filter(|l| !l.starts_with(';'))
            .flat_map(|l| [l, "\n"])
            .collect();
        let error = Sdp::parse_strict(&stripped).unwrap_err();
        let line = stripped.lines().nth(error.line_number - 1).unwrap();
        assert!(line.starts_with(needle), "{file}: {error}");
    }
}
