//! One generated file of `generate`, streamed: rendered straight into a temporary file next to
//! its destination while being compared with what the destination holds, so that neither the
//! new content nor the old is ever in memory whole.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// Why a file could not be rendered.
#[derive(Debug)]
pub(super) enum Error {
    /// The templates do not render.
    Docs(crate::docs::DocsError),
    /// Reading, writing or creating a file failed.
    Io(std::io::Error),
}

impl From<crate::docs::DocsError> for Error {
    /// A page that could not be written is an I/O failure like any other file's.
    fn from(err: crate::docs::DocsError) -> Self {
        match err {
            crate::docs::DocsError::Write { source, .. } => Error::Io(source),
            other => Error::Docs(other),
        }
    }
}

/// What rendering found.
#[derive(Debug)]
pub(super) enum Outcome {
    /// The destination already holds exactly this content; nothing was left behind.
    UpToDate,
    /// The destination is missing or differs. `tmp` holds the new content (`None` when only
    /// checking); renaming it over the destination publishes it.
    Differs { missing: bool, tmp: Option<PathBuf> },
}

/// Renders `file` through `render`; with `check`, only compares.
pub(super) fn render(
    file: &Path,
    check: bool,
    render: impl FnOnce(&mut dyn Write) -> Result<(), Error>,
) -> Result<Outcome, Error> {
    let existing = File::open(file).ok().map(BufReader::new);
    let missing = existing.is_none();
    let tmp = if check {
        None
    } else {
        if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(Error::Io)?;
        }
        let mut tmp = file.as_os_str().to_owned();
        tmp.push(".tmp");
        Some(PathBuf::from(tmp))
    };
    let sink = match &tmp {
        Some(path) => Some(File::create(path).map_err(Error::Io)?),
        None => None,
    };
    let mut tee = Tee {
        sink,
        existing,
        same: true,
        scratch: Vec::new(),
    };
    let result = {
        // Rendering writes many small pieces; compare and write in large blocks.
        let mut buffered = BufWriter::with_capacity(1 << 16, &mut tee);
        render(&mut buffered).and_then(|()| buffered.flush().map_err(Error::Io))
    };
    let same = result.is_ok() && tee.finish();
    if let Some(path) = &tmp
        && (result.is_err() || same)
    {
        let _ = std::fs::remove_file(path);
    }
    result?;
    if same {
        Ok(Outcome::UpToDate)
    } else {
        Ok(Outcome::Differs { missing, tmp })
    }
}

/// Writes to the temporary file (if any) and compares with the old content as it goes.
struct Tee {
    sink: Option<File>,
    existing: Option<BufReader<File>>,
    same: bool,
    scratch: Vec<u8>,
}

impl Tee {
    /// Whether everything written equals the old content, to its end.
    fn finish(&mut self) -> bool {
        let Some(existing) = &mut self.existing else {
            return false;
        };
        self.same && matches!(existing.read(&mut [0u8; 1]), Ok(0))
    }
}

impl Write for Tee {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if let Some(sink) = &mut self.sink {
            sink.write_all(data)?;
        }
        if self.same {
            self.same = match &mut self.existing {
                Some(existing) => {
                    self.scratch.resize(data.len(), 0);
                    existing.read_exact(&mut self.scratch).is_ok() && self.scratch == data
                }
                None => false,
            };
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.sink {
            Some(sink) => sink.flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "telemetry-spec-output-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn write_text(text: &'static str) -> impl FnOnce(&mut dyn Write) -> Result<(), Error> {
        move |w| w.write_all(text.as_bytes()).map_err(Error::Io)
    }

    #[test]
    fn equal_content_is_up_to_date_and_leaves_nothing_behind() {
        let dir = dir("equal");
        let file = dir.join("a.txt");
        let first = render(&file, false, write_text("hello"));
        let Ok(Outcome::Differs {
            missing: true,
            tmp: Some(tmp),
        }) = first
        else {
            panic!("{first:?}")
        };
        std::fs::rename(&tmp, &file).unwrap_or_else(|e| panic!("{e}"));
        let again = render(&file, false, write_text("hello"));
        assert!(matches!(again, Ok(Outcome::UpToDate)), "{again:?}");
        assert!(!tmp.exists(), "an unchanged file leaves no temporary file");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_prefix_or_an_extension_of_the_old_content_differs() {
        let dir = dir("prefix");
        let file = dir.join("a.txt");
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&file, "hello").unwrap_or_else(|e| panic!("{e}"));
        for text in ["hell", "hello!", "jello"] {
            let out = render(&file, true, write_text(text));
            assert!(
                matches!(
                    out,
                    Ok(Outcome::Differs {
                        missing: false,
                        tmp: None
                    })
                ),
                "{text}: {out:?}"
            );
        }
        assert_eq!(
            std::fs::read_to_string(&file).ok().as_deref(),
            Some("hello")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_failed_render_leaves_no_temporary_file() {
        let dir = dir("failed");
        let file = dir.join("a.txt");
        let out = render(&file, false, |w| {
            w.write_all(b"partial").map_err(Error::Io)?;
            Err(Error::Io(std::io::Error::other("broken template")))
        });
        assert!(matches!(out, Err(Error::Io(_))), "{out:?}");
        assert!(!dir.join("a.txt.tmp").exists());
        assert!(!file.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
