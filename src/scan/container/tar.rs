//! tar (POSIX and GNU): each regular file is a member; a link's target is
//! read as text. Damage in a member's own layers ends that member; damage
//! to the tar ends the tar.

use std::io::{self, Read};

use super::layer::{guarded, Budget, Container, Layer, Place, Visit};
use crate::scan::buffer::StreamBuffer;

/// The container.
pub(crate) struct Tar;

impl Container for Tar {
    fn name(&self) -> &'static str {
        "tar"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        head.get(257..262) == Some(b"ustar")
    }

    fn open(
        &self,
        layer: &dyn Layer,
        r: &mut dyn Read,
        ctx: &Place,
        sb: &mut StreamBuffer,
        budget: &Budget<'_>,
        v: &mut dyn Visit,
    ) -> io::Result<()> {
        guarded(budget, v, |v| {
            let mut archive = tar::Archive::new(&mut *r);
            let mut members = 0u64;
            for entry in archive.entries()? {
                let mut entry = entry?;
                let kind = entry.header().entry_type();
                if kind.is_symlink() || kind.is_hard_link() {
                    // A link's target is text a tree can hide a token in.
                    if let Some(target) = entry.link_name_bytes() {
                        let inner = ctx.inner(&entry.path_bytes());
                        layer.text(&mut &target[..], &inner, sb, budget, v, false)?;
                    }
                    continue;
                }
                if !kind.is_file() {
                    continue;
                }
                if !budget.admit(&mut members, v) {
                    return Ok(());
                }
                let inner = ctx.inner(&entry.path_bytes());
                layer.text(&mut entry, &inner, sb, budget, v, true)?;
            }
            layer.after_the_end(r, ctx, sb, budget, v)
        })
    }
}
