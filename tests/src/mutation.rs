//! Mutations of a body for decoders that must never panic on malformed input.

/// Calls `decode` with every truncation of `body`, `body` with each byte replaced four ways
/// (0x00, 0xff, 0x80, one bit flipped), and 2,000 seeded random rewrites of one to five bytes.
/// Returns how many inputs were tried.
pub fn each_mutation(body: &[u8], mut decode: impl FnMut(&[u8])) -> usize {
    let mut count = 0;
    for end in 0..=body.len() {
        decode(&body[..end]);
        count += 1;
    }
    for index in 0..body.len() {
        for replacement in [0x00, 0xff, 0x80, body[index] ^ 0x01] {
            let mut mutated = body.to_vec();
            mutated[index] = replacement;
            decode(&mutated);
            count += 1;
        }
    }
    if body.is_empty() {
        return count;
    }
    let mut rng = fastrand::Rng::with_seed(15);
    for _ in 0..2000 {
        let mut mutated = body.to_vec();
        for _ in 0..rng.usize(1..6) {
            let index = rng.usize(..mutated.len());
            mutated[index] = rng.u8(..);
        }
        decode(&mutated);
        count += 1;
    }
    count
}
