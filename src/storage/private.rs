//! Files that hold pitches are the bot's user's alone: the data directory and every folder in it
//! 0700, every file 0600. sled creates its files with the process's umask, so the store's folder
//! is made private before sled opens it and what sled created is tightened after; backups are
//! written private from the start. Off Unix there are no mode bits to set.

use std::fs::File;
use std::io;
use std::path::Path;

#[cfg(unix)]
const DIR_MODE: u32 = 0o700;
#[cfg(unix)]
const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and its parents) if needed, and makes `dir` itself private.
pub fn dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(dir)?;
        set_mode(dir, DIR_MODE)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// Makes every folder under `root` (and `root`) 0700 and every file 0600. Symbolic links are left
/// alone: they are not the store's, and their targets may not be either.
pub fn tree(root: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let meta = std::fs::symlink_metadata(root)?;
        if meta.file_type().is_symlink() {
            return Ok(());
        }
        if meta.is_dir() {
            set_mode(root, DIR_MODE)?;
            for entry in std::fs::read_dir(root)? {
                tree(&entry?.path())?;
            }
            Ok(())
        } else {
            set_mode(root, FILE_MODE)
        }
    }
    #[cfg(not(unix))]
    {
        let _ = root;
        Ok(())
    }
}

/// Creates (or truncates) `path` as a file only this user may read or write.
pub fn create(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    let file = options.open(path)?;
    // The mode above applies only to a file this call created; an older one is tightened.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
    }
    Ok(file)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let current = std::fs::metadata(path)?.permissions().mode() & 0o7777;
    if current == mode {
        return Ok(());
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

/// Makes files this process creates from now on private (umask 077), for the files sled adds
/// while it runs. A process-wide setting, so only the binary calls it, once at start.
pub fn for_new_files() {
    #[cfg(unix)]
    // SAFETY: umask only sets the process's file-creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}
