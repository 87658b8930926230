//! Marvin32, the seeded 32-bit hash that Microsoft's identifiable keys
//! carry as their checksum (the .NET string hash; described with its
//! constants in Microsoft's security-utilities, MIT). Written here from
//! that description: two 32-bit lanes seeded from the 64-bit seed, each
//! little-endian 4-byte word added to the first lane and mixed, the tail
//! padded with 0x80, two more mixes, the lanes XORed.

/// The mix of one word.
#[inline]
fn block(p0: &mut u32, p1: &mut u32) {
    *p1 ^= *p0;
    *p0 = p0.rotate_left(20);
    *p0 = p0.wrapping_add(*p1);
    *p1 = p1.rotate_left(9);
    *p1 ^= *p0;
    *p0 = p0.rotate_left(27);
    *p0 = p0.wrapping_add(*p1);
    *p1 = p1.rotate_left(19);
}

/// Marvin32 of `data` with `seed`.
pub fn marvin32(data: &[u8], seed: u64) -> u32 {
    let (mut p0, mut p1) = (seed as u32, (seed >> 32) as u32);
    let mut words = data.chunks_exact(4);
    for w in &mut words {
        p0 = p0.wrapping_add(u32::from_le_bytes(w.try_into().expect("4 bytes")));
        block(&mut p0, &mut p1);
    }
    // The 0 to 3 bytes left, little-endian, then 0x80.
    let tail = words.remainder();
    let mut last = 0x80u32 << (8 * tail.len());
    for (i, &b) in tail.iter().enumerate() {
        last |= (b as u32) << (8 * i);
    }
    p0 = p0.wrapping_add(last);
    block(&mut p0, &mut p1);
    block(&mut p0, &mut p1);
    p0 ^ p1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tail_length_is_padded_apart() {
        // The 0x80 marks where the data ends: a zero byte more or less is
        // another hash.
        let seed = 0x44656661756c7430;
        let hashes: Vec<u32> = (0..9).map(|n| marvin32(&vec![0u8; n], seed)).collect();
        for i in 0..hashes.len() {
            for j in 0..i {
                assert_ne!(hashes[i], hashes[j], "{i} and {j} zero bytes");
            }
        }
        assert_ne!(marvin32(b"abc", seed), marvin32(b"abc", seed + 1));
    }
}
