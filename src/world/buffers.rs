//! Shared buffers of `D`: only dirty pages are kept (a clean buffer equals the disk), read
//! through, written by the checkpointer or an eviction, and dropped by `DropDatabaseBuffers`.

use super::fs::Page;
use super::{PageKey, World};

impl World {
    /// The current content of a page as a backend sees it (buffer, else disk).
    pub fn read_page(&self, key: PageKey) -> Option<Page> {
        if let Some(p) = self.dirty.get(&key) {
            return Some(*p);
        }
        let (ts, rel, blk) = key;
        self.fs
            .file(ts, rel)
            .and_then(|f| f.get(usize::from(blk)).copied())
    }
    /// `DropDatabaseBuffers(D)`: discard every buffer of `D`, dirty or not, in all tablespaces.
    pub fn drop_database_buffers(&mut self) {
        self.dirty.clear();
    }
    /// Write one buffer to its file (`FlushBuffer` → `smgrwrite`), extending with zero pages.
    pub fn flush_buffer(&mut self, key: PageKey) {
        if let Some(page) = self.dirty.remove(&key) {
            let (ts, rel, blk) = key;
            self.fs.mkdir(ts);
            let dir = self.fs.dir_mut(ts).expect("directory exists");
            let file = dir.files.entry(rel).or_default();
            let b = usize::from(blk);
            if file.len() <= b {
                file.resize(b + 1, Page::default());
            }
            file[b] = page;
        }
    }
}
