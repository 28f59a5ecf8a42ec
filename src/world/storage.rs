//! The file operations of the database commands, one file per step with a cursor in the
//! process's state: `copydir` (copydir.c), `CreateAndCopyRelationData` (bufmgr.c, WAL-logged copy)
//! and `rmtree` (common/rmtree.c). Each returns whether the operation is complete.

use super::fs::{Loc, Page, copy_file};
use super::wal::Rec;
use super::{ProcId, World, ev};

/// One step of copydir; returns whether the op is complete.
pub fn copydir_step(
    w: &mut World,
    p: ProcId,
    src: Loc,
    dst: Loc,
    e: &mut Option<&mut String>,
) -> bool {
    let pi = usize::from(p);
    match w.procs[pi].cursor.take() {
        None => {
            w.ghost.update(|g| g.removal_src = Some(src));
            if !w.fs.mkdir(dst) {
                ev!(
                    e,
                    "ERROR: could not create directory \"{}\": File exists",
                    dst.db_path()
                );
                w.fail(p);
                return false;
            }
            let names = w.fs.names(src);
            ev!(
                e,
                "copydir: mkdir(\"{}\"); AllocateDir(\"{}\") lists {} file(s)",
                dst.db_path(),
                src.db_path(),
                names.len()
            );
            if names.is_empty() {
                return true;
            }
            w.procs[pi].cursor = Some((names, 0));
            false
        }
        Some((names, next)) => {
            let rel = names[usize::from(next)];
            if !copy_file(&mut w.fs, src, dst, rel) {
                ev!(e, "ERROR: could not stat file \"{}\"", src.rel_path(rel));
                w.fail(p);
                return false;
            }
            ev!(
                e,
                "copy_file(\"{}\" -> \"{}\")",
                src.rel_path(rel),
                dst.rel_path(rel)
            );
            let next = next + 1;
            if usize::from(next) == names.len() {
                return true;
            }
            w.procs[pi].cursor = Some((names, next));
            false
        }
    }
}

/// One step of the WAL-logged copy; returns whether the op is complete.
pub fn copy_logged_step(
    w: &mut World,
    p: ProcId,
    src: Loc,
    dst: Loc,
    e: &mut Option<&mut String>,
) -> bool {
    let pi = usize::from(p);
    let (names, k) = w.procs[pi]
        .cursor
        .take()
        .unwrap_or_else(|| (w.fs.names(src), 0));
    if names.is_empty() {
        return true;
    }
    // Step k: file k / (pages + 1); sub-step 0 creates it, sub-step j copies page j - 1.
    let pages = names
        .iter()
        .map(|&r| w.fs.file(src, r).map_or(0, |f| f.len()))
        .max()
        .unwrap_or(0);
    let per = pages + 1;
    let (fi, sub) = (usize::from(k) / per, usize::from(k) % per);
    let rel = names[fi];
    let npages = w.fs.file(src, rel).map_or(0, |f| f.len());
    if sub == 0 {
        if let Some(d) = w.fs.dir_mut(dst) {
            d.files
                .insert(rel, smallvec::smallvec![Page::default(); npages]);
        }
        let lsn = w.log(Rec::SmgrCreate { ts: dst, rel });
        ev!(
            e,
            "RelationCreateStorage: WAL {lsn}: {}; file pre-extended to {npages} zero page(s)",
            w.wal[lsn as usize]
        );
    } else {
        let blk = u8::try_from(sub - 1).unwrap_or(u8::MAX);
        let page = w.read_page((src, rel, blk)).unwrap_or_default();
        let lsn = w.log(Rec::Fpi {
            ts: dst,
            rel,
            blk,
            ver: page.ver,
            all_visible: page.all_visible,
        });
        w.dirty.insert(
            (dst, rel, blk),
            Page {
                lsn: lsn + 1,
                ..page
            },
        );
        ev!(
            e,
            "RelationCopyStorageUsingBuffer: WAL {lsn}: {}",
            w.wal[lsn as usize]
        );
    }
    let k1 = usize::from(k) + 1;
    let done_file = k1 % per == 0 || (k1 % per) > npages;
    let next = if done_file { (fi + 1) * per } else { k1 };
    if next / per >= names.len() {
        return true;
    }
    w.procs[pi].cursor = Some((names, u8::try_from(next).unwrap_or(u8::MAX)));
    false
}

/// One step of rmtree; returns whether the op is complete.
pub fn rmtree_step(w: &mut World, p: ProcId, src: Loc, e: &mut Option<&mut String>) -> bool {
    let pi = usize::from(p);
    match w.procs[pi].cursor.take() {
        None => {
            w.ghost.update(|g| {
                g.rmtree_begun = true;
                g.removal_src = Some(src);
            });
            let names = w.fs.names(src);
            ev!(
                e,
                "rmtree(\"{}\"): read {} name(s)",
                src.db_path(),
                names.len()
            );
            w.procs[pi].cursor = Some((names, 0));
            false
        }
        Some((names, next)) if usize::from(next) < names.len() => {
            let rel = names[usize::from(next)];
            if let Some(d) = w.fs.dir_mut(src) {
                d.files.remove(&rel);
            }
            ev!(e, "unlink(\"{}\")", src.rel_path(rel));
            w.procs[pi].cursor = Some((names, next + 1));
            false
        }
        Some(_) => {
            w.fs.rmtree(src);
            ev!(e, "rmdir(\"{}\")", src.db_path());
            true
        }
    }
}
