//! Edits to SDP text: byte edits, and line edits (remove, repeat, swap,
//! insert, replace a value) that keep the text made of lines.

use arbitrary::Arbitrary;

use super::edit::Edit;

#[derive(Arbitrary, Debug, Clone)]
pub enum TextEdit {
    Bytes(Edit),
    RemoveLine(u8),
    RepeatLine(u8),
    SwapLines(u8, u8),
    InsertLine(u8, String),
    /// Replaces what follows `x=` on a line.
    ReplaceValue(u8, String),
}

/// Edits stop once the text is this long (an SDP parser refuses more
/// than 512 KiB anyway).
const MAX_LEN: usize = 64 * 1024;

/// The text with `edits` applied, if it is still UTF-8.
pub fn edited(text: &str, edits: &[TextEdit]) -> Option<String> {
    let mut text = text.to_owned();
    for edit in edits {
        if text.len() > MAX_LEN {
            break;
        }
        let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_owned).collect();
        let pick = |i: u8, n: usize| usize::from(i) % n.max(1);
        match edit {
            TextEdit::Bytes(edit) => {
                let mut bytes = text.into_bytes();
                edit.apply(&mut bytes);
                text = String::from_utf8(bytes).ok()?;
                continue;
            }
            TextEdit::RemoveLine(i) if !lines.is_empty() => {
                lines.remove(pick(*i, lines.len()));
            }
            TextEdit::RepeatLine(i) if !lines.is_empty() => {
                let i = pick(*i, lines.len());
                let mut line = lines[i].clone();
                if !line.ends_with('\n') {
                    line.push_str("\r\n");
                }
                lines.insert(i, line);
            }
            TextEdit::SwapLines(i, j) if !lines.is_empty() => {
                let (i, j) = (pick(*i, lines.len()), pick(*j, lines.len()));
                lines.swap(i, j);
            }
            TextEdit::InsertLine(i, line) => {
                let i = usize::from(*i) % (lines.len() + 1);
                lines.insert(i, format!("{line}\r\n"));
            }
            TextEdit::ReplaceValue(i, value) if !lines.is_empty() => {
                let i = pick(*i, lines.len());
                let head: String = lines[i].chars().take(2).collect();
                lines[i] = format!("{head}{value}\r\n");
            }
            _ => {}
        }
        text = lines.concat();
    }
    Some(text)
}
