//! Files in the state directory, opened only as their owner meant them: never through a
//! symbolic link, only regular files, and only in a directory nobody else can write.
//!
//! The state directory holds the installation id, the setting, the send state and the audit
//! ledger (every payload sent). A link planted in it could make the runtime append the ledger to
//! a file elsewhere, create a lock file through the link, or read and send an installation id
//! from somewhere else; a directory that others may write lets them plant such links.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Why a state directory may not be used.
#[derive(Debug, thiserror::Error)]
pub enum UnsafeDir {
    #[error(
        "state directory `{path}` can be written by other users (mode {mode:04o}): they could plant links or files in it; run `chmod go-w {path}` (or `chmod 700 {path}`)"
    )]
    Writable { path: String, mode: u32 },
    #[error(
        "state directory `{path}` belongs to uid {owner}, not to the user running telemetry (uid {me}): run `chown {me} {path}` or set `state.dir` to a directory of this user"
    )]
    NotOwned { path: String, owner: u32, me: u32 },
    #[error("state directory `{path}` cannot be inspected: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
}

/// Refuses a state directory that is writable by group or others, or owned by another user.
pub fn check_dir(dir: &Path) -> Result<(), UnsafeDir> {
    let path = dir.display().to_string();
    let meta = std::fs::metadata(dir).map_err(|source| UnsafeDir::Io {
        path: path.clone(),
        source,
    })?;
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Err(UnsafeDir::NotOwned {
            path,
            owner: meta.uid(),
            me,
        });
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(UnsafeDir::Writable { path, mode });
    }
    Ok(())
}

/// Open options that refuse to follow a symbolic link in the last path component and never
/// block on a FIFO planted in place of a file. Files created are the owner's only.
pub fn options() -> OpenOptions {
    let mut o = OpenOptions::new();
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    o.custom_flags(flags.bits() as i32).mode(0o600);
    o
}

/// Opens `path` with `options` (from [`options`]) and checks that it is a regular file.
pub fn open(path: &Path, options: &OpenOptions) -> io::Result<File> {
    let file = options.open(path).map_err(|e| explain(path, e))?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::other(
            "is not a regular file; state files are only ever plain files (remove it)",
        ));
    }
    Ok(file)
}

/// Reads a whole state file (see [`open`]).
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    let mut file = open(path, options().read(true))?;
    let mut bytes = Vec::new();
    io::Read::read_to_end(&mut file, &mut bytes)?;
    Ok(bytes)
}

/// `O_NOFOLLOW` reports a link as "too many levels of symbolic links": say what it means.
fn explain(path: &Path, e: io::Error) -> io::Error {
    let is_link = path
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        io::Error::other(
            "is a symbolic link; state files are never followed through links (remove it)",
        )
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("statefs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
            .unwrap_or_else(|e| panic!("{e}"));
        dir
    }

    #[test]
    fn links_and_non_files_are_refused_plain_files_are_read() {
        let dir = scratch("links");
        let outside = dir.join("outside.json");
        std::fs::write(&outside, b"{}").unwrap_or_else(|e| panic!("{e}"));
        let link = dir.join("installation.json");
        std::os::unix::fs::symlink(&outside, &link).unwrap_or_else(|e| panic!("{e}"));
        let err = read(&link).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("symbolic link"), "{err}");
        let err = open(&link, options().append(true).create(true))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("symbolic link"), "{err}");
        let sub = dir.join("sub");
        std::fs::create_dir(&sub).unwrap_or_else(|e| panic!("{e}"));
        let err = read(&sub).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("regular file"), "{err}");
        assert_eq!(read(&outside).ok().as_deref(), Some(&b"{}"[..]));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_directory_others_can_write_or_own_is_refused() {
        let dir = scratch("perms");
        assert!(check_dir(&dir).is_ok());
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777))
            .unwrap_or_else(|e| panic!("{e}"));
        let err = check_dir(&dir)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("mode 0777") && err.contains("chmod go-w"),
            "{err}"
        );
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
            .unwrap_or_else(|e| panic!("{e}"));
        // Only root can hand a directory to another user; elsewhere the rule is still covered
        // by the mode case above.
        if rustix::process::geteuid().is_root() {
            std::os::unix::fs::chown(&dir, Some(4242), None).unwrap_or_else(|e| panic!("{e}"));
            let err = check_dir(&dir)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                err.contains("belongs to uid 4242") && err.contains("chown 0"),
                "{err}"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
