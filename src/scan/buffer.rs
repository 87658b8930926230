//! The read buffer a stream is scanned through, one per thread, and one
//! more for each layer below (members of archives).

use crate::scan::config::DEFAULT_READ_SIZE;

/// A reusable read buffer for [`Scanner::scan_reader`](crate::Scanner::scan_reader); one per thread.
#[derive(Debug)]
pub struct StreamBuffer {
    pub(crate) buf: Vec<u8>,
    pub(crate) read_size: usize,
    /// A buffer for each layer below (members of archives).
    pub(crate) deeper: Option<Box<StreamBuffer>>,
}

impl StreamBuffer {
    /// A buffer that reads `read_size` bytes at a time (at least 1).
    pub fn new(read_size: usize) -> StreamBuffer {
        StreamBuffer {
            buf: Vec::new(),
            read_size: read_size.max(1),
            deeper: None,
        }
    }

    /// The buffer, `cap` bytes long (zeroed when it was not).
    pub(crate) fn sized(&mut self, cap: usize) -> &mut Vec<u8> {
        if self.buf.len() != cap {
            self.buf = vec![0; cap];
        }
        &mut self.buf
    }

    /// The buffer for the layer below this one.
    pub(crate) fn deeper(&mut self) -> &mut StreamBuffer {
        let size = self.read_size;
        self.deeper
            .get_or_insert_with(|| Box::new(StreamBuffer::new(size)))
    }
}

impl Default for StreamBuffer {
    fn default() -> StreamBuffer {
        StreamBuffer::new(DEFAULT_READ_SIZE)
    }
}
