//! Document blobs, stored by content: the file's SHA-256 is its name, so whatever name an
//! upload claims (`../`, NUL bytes, 1,000 characters) never reaches the filesystem.

use crate::error::StoreError;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A folder of content-addressed blobs (`ab/cd/abcd…`).
#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    /// A store rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> BlobStore {
        BlobStore { root: root.into() }
    }

    fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
            return None;
        }
        Some(self.root.join(&sha256[..2]).join(&sha256[2..4]).join(sha256))
    }

    /// Stores bytes durably (written to a temporary file, synced, renamed) and returns
    /// their SHA-256. Storing the same bytes twice keeps one file.
    pub fn put(&self, bytes: &[u8]) -> Result<String, StoreError> {
        let sha = hex::encode(Sha256::digest(bytes));
        let path = self
            .path_of(&sha)
            .ok_or_else(|| StoreError::Invalid("bad digest".into()))?;
        if path.exists() {
            return Ok(sha);
        }
        let dir = path.parent().unwrap_or(&self.root);
        let io = |context: String| move |source| StoreError::Io { context, source };
        std::fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
        let mut tmp = tempfile_in(dir).map_err(io(format!("writing into {}", dir.display())))?;
        tmp.1
            .write_all(bytes)
            .map_err(io(format!("writing {}", tmp.0.display())))?;
        tmp.1.sync_all().map_err(io(format!("syncing {}", tmp.0.display())))?;
        std::fs::rename(&tmp.0, &path).map_err(io(format!("renaming into {}", path.display())))?;
        Ok(sha)
    }

    /// Reads a blob back.
    pub fn get(&self, sha256: &str) -> Result<Vec<u8>, StoreError> {
        let path = self
            .path_of(sha256)
            .ok_or_else(|| StoreError::NotFound(format!("blob {sha256}")))?;
        std::fs::read(&path).map_err(|source| StoreError::Io {
            context: format!("reading {}", path.display()),
            source,
        })
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let name = format!(".tmp-{}", hex::encode(rand::random::<[u8; 12]>()));
    let path = dir.join(name);
    let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&path)?;
    Ok((path, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_stored_by_content_and_read_back() -> Result<(), StoreError> {
        let dir = std::env::temp_dir().join(format!("goldcard-blobs-{}", hex::encode(rand::random::<[u8; 6]>())));
        let store = BlobStore::new(&dir);
        let sha = store.put(b"%PDF-1.7 hello")?;
        assert_eq!(sha, hex::encode(Sha256::digest(b"%PDF-1.7 hello")));
        assert_eq!(store.put(b"%PDF-1.7 hello")?, sha, "same bytes, same name");
        assert_eq!(store.get(&sha)?, b"%PDF-1.7 hello");
        assert!(matches!(store.get("../../etc/passwd"), Err(StoreError::NotFound(_))));
        let _ = std::fs::remove_dir_all(dir);
        Ok(())
    }
}
