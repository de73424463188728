/// SHA-256 as specified in FIPS 180-4, in pure Swift (Foundation on Linux has none).
///
/// Feed bytes with any number of `update` calls, then call `finalize()` once:
///
///     var hasher = SHA256()
///     hasher.update("ab")
///     hasher.update("c")
///     SHA256.hex(hasher.finalize())  // "ba7816bf…f20015ad"
///
/// Invariants: `buffer[0..<bufferCount]` holds the bytes not yet compressed, and
/// `bufferCount < 64` between calls; `byteCount` is the total number of bytes fed so far. After `finalize()` the value may not be updated or finalized
/// again (doing so is a bug and traps).
public struct SHA256: Sendable {
    /// The working hash value H(i) of FIPS 180-4 §6.2.
    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a,
        0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19
    )
    /// Room for one 64-byte block; its first `bufferCount` bytes await compression.
    private var buffer = [UInt8](repeating: 0, count: 64)
    private var bufferCount = 0
    /// Total bytes fed, for the length field of the padding.
    private var byteCount: UInt64 = 0
    private var finalized = false

    /// Creates a hasher with the initial hash value of FIPS 180-4 §5.3.3.
    public init() {}

    /// Feeds raw bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(!finalized, "SHA256.update after finalize")
        var rest = bytes[...]
        guard !rest.isEmpty else { return }
        byteCount &+= UInt64(rest.count)

        // Top up a partial block first.
        if bufferCount > 0 {
            let take = min(64 - bufferCount, rest.count)
            let start = bufferCount
            buffer.withUnsafeMutableBytes { buf in
                UnsafeMutableRawBufferPointer(rebasing: buf[start..<start + take])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: rest.prefix(take)))
            }
            bufferCount += take
            rest = rest.dropFirst(take)
            guard bufferCount == 64 else { return }
            buffer.withUnsafeBytes { Self.compress(&state, $0) }
            bufferCount = 0
        }
        // Whole blocks straight from the caller's memory.
        let whole = rest.count / 64 * 64
        if whole > 0 {
            Self.compress(&state, UnsafeRawBufferPointer(rebasing: rest.prefix(whole)))
            rest = rest.dropFirst(whole)
        }
        // Keep the tail.
        if !rest.isEmpty {
            let tail = UnsafeRawBufferPointer(rebasing: rest)
            buffer.withUnsafeMutableBytes { buf in
                UnsafeMutableRawBufferPointer(rebasing: buf[0..<tail.count]).copyMemory(from: tail)
            }
            bufferCount = tail.count
        }
    }

    /// Feeds an array of bytes.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Feeds a slice of bytes.
    public mutating func update(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Feeds the UTF-8 encoding of `string`.
    public mutating func update(_ string: String) {
        var string = string
        string.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// Pads the message, compresses the last block(s) and returns the 32-byte digest.
    /// The hasher may not be used again afterwards.
    public mutating func finalize() -> [UInt8] {
        precondition(!finalized, "SHA256.finalize called twice")
        let bitLength = byteCount &* 8
        // 0x80, zeros up to 56 mod 64, then the 64-bit big-endian bit length.
        var padding = [UInt8](repeating: 0, count: bufferCount < 56 ? 64 - bufferCount : 128 - bufferCount)
        padding[0] = 0x80
        for i in 0..<8 {
            padding[padding.count - 1 - i] = UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(i)))
        }
        update(padding)
        finalized = true

        var digest = [UInt8](repeating: 0, count: 32)
        let words = [state.0, state.1, state.2, state.3, state.4, state.5, state.6, state.7]
        for (i, word) in words.enumerated() {
            digest[4 * i] = UInt8(truncatingIfNeeded: word >> 24)
            digest[4 * i + 1] = UInt8(truncatingIfNeeded: word >> 16)
            digest[4 * i + 2] = UInt8(truncatingIfNeeded: word >> 8)
            digest[4 * i + 3] = UInt8(truncatingIfNeeded: word)
        }
        return digest
    }

    /// The digest of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The digest of the UTF-8 encoding of `string`.
    public static func hash(_ string: String) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(string)
        return hasher.finalize()
    }

    /// Lowercase hexadecimal of any bytes (two characters per byte).
    public static func hex(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(digest.count * 2)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The round constants K of FIPS 180-4 §4.2.2.
    private static let k: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    /// Compresses the consecutive 64-byte blocks of `data` into `state` (FIPS 180-4 §6.2.2).
    /// `data.count` is a multiple of 64; `data` needs no particular alignment.
    ///
    /// The rounds go eight at a time, each naming the working variables in the order that round
    /// sees them, so that no value is moved between rounds (the working variables stay in
    /// registers). The schedule W is computed in a 16-word window, on the fly.
    private static func compress(
        _ state: inout (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32),
        _ data: UnsafeRawBufferPointer
    ) {
        guard let base = data.baseAddress else { return }
        let blocks = data.count / 64
        k.withUnsafeBufferPointer { k in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 16) { w in
                var block = base
                for _ in 0..<blocks {
                    for t in 0..<16 {
                        w[t] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 * t, as: UInt32.self))
                    }
                    var (a, b, c, d, e, f, g, h) = state
                    var t = 0
                    while t < 64 {
                        if t >= 16 {
                            for i in 0..<16 {
                                let x = w[(i + 1) & 15], y = w[(i + 14) & 15]
                                let s0 = x.rotr(7) ^ x.rotr(18) ^ (x >> 3)
                                let s1 = y.rotr(17) ^ y.rotr(19) ^ (y >> 10)
                                w[i] = w[i] &+ s0 &+ w[(i + 9) & 15] &+ s1
                            }
                        }
                        for i in stride(from: 0, to: 16, by: 8) {
                            round(a, b, c, &d, e, f, g, &h, k[t + i] &+ w[i])
                            round(h, a, b, &c, d, e, f, &g, k[t + i + 1] &+ w[i + 1])
                            round(g, h, a, &b, c, d, e, &f, k[t + i + 2] &+ w[i + 2])
                            round(f, g, h, &a, b, c, d, &e, k[t + i + 3] &+ w[i + 3])
                            round(e, f, g, &h, a, b, c, &d, k[t + i + 4] &+ w[i + 4])
                            round(d, e, f, &g, h, a, b, &c, k[t + i + 5] &+ w[i + 5])
                            round(c, d, e, &f, g, h, a, &b, k[t + i + 6] &+ w[i + 6])
                            round(b, c, d, &e, f, g, h, &a, k[t + i + 7] &+ w[i + 7])
                        }
                        t += 16
                    }
                    state.0 &+= a; state.1 &+= b; state.2 &+= c; state.3 &+= d
                    state.4 &+= e; state.5 &+= f; state.6 &+= g; state.7 &+= h
                    block += 64
                }
            }
        }
    }

    /// One round of FIPS 180-4 §6.2.2 step 3, given `kw` = K[t] + W[t]: adds T1 to `d` (the
    /// next `e`) and sets `h` to T1 + T2 (the next `a`); the caller renames the rest.
    @inline(__always)
    private static func round(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
                              _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ kw: UInt32) {
        let t1 = h &+ (e.rotr(6) ^ e.rotr(11) ^ e.rotr(25)) &+ (g ^ (e & (f ^ g))) &+ kw
        d &+= t1
        h = t1 &+ (a.rotr(2) ^ a.rotr(13) ^ a.rotr(22)) &+ ((a & b) | (c & (a | b)))
    }
}

extension UInt32 {
    /// Rotates right by `n` bits (0 < n < 32).
    @inline(__always)
    fileprivate func rotr(_ n: UInt32) -> UInt32 {
        (self >> n) | (self << (32 &- n))
    }
}
