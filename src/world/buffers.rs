//! Shared buffers of `D`: only dirty pages are kept (a clean buffer equals the disk), read
//! through, written by the checkpointer or an eviction, and dropped by `DropDatabaseBuffers`.

use super::fs::{Lsn, Page};
use super::wal::Rec;
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

    /// VACUUM marks a heap page all-visible: `PageSetAllVisible` + `MarkBufferDirty`, then
    /// `log_heap_visible` (heapam.c). The record images the heap page when `images_heap` (hint
    /// bits WAL-logged, 9.3+) and the page's last change is at or before `RedoRecPtr`; the page
    /// LSN moves only then. Returns the record's LSN.
    pub fn heap_visible(&mut self, key: PageKey, images_heap: bool) -> Lsn {
        let (ts, rel, blk) = key;
        let page = self.read_page(key).unwrap_or_default();
        let image = (images_heap && page.lsn <= self.ckpt.redo_rec_ptr).then_some(page.ver);
        let lsn = self.log(Rec::Visible {
            ts,
            rel,
            blk,
            heap_image: image,
        });
        self.dirty.insert(
            key,
            Page {
                ver: page.ver,
                all_visible: true,
                lsn: if image.is_some() { lsn + 1 } else { page.lsn },
            },
        );
        lsn
    }

    /// `heap_update` of one page: the record carries a full-page image iff the page's last
    /// change is at or before `RedoRecPtr` (its first change since the redo pointer); the new
    /// version clears `PD_ALL_VISIBLE`. Returns the record's LSN.
    pub fn heap_update(&mut self, key: PageKey) -> Lsn {
        let (ts, rel, blk) = key;
        let page = self.read_page(key).unwrap_or_default();
        let ver = page.ver.saturating_add(1);
        let rec = if page.lsn <= self.ckpt.redo_rec_ptr {
            Rec::Fpi {
                ts,
                rel,
                blk,
                ver,
                all_visible: false,
            }
        } else {
            Rec::HeapUpdate { ts, rel, blk, ver }
        };
        let lsn = self.log(rec);
        self.dirty.insert(
            key,
            Page {
                ver,
                all_visible: false,
                lsn: lsn + 1,
            },
        );
        lsn
    }
}
