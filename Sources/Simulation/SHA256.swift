import COpenSSL

/// SHA-256 (FIPS 180-4), streaming. The replay digest must be the standard hash so anyone can
/// recompute it from the NDJSON output with `sha256sum`.
///
/// The canonical output is megabytes per replay, so hashing runs in libcrypto (SHA-NI or AVX2 code
/// paths, ~20x the portable Swift rounds kept below as `PortableSHA256` for tests to compare with).
/// A value type: a copy hashes on independently (the context is copied on the first write after it).
public struct SHA256: @unchecked Sendable {
    final class Context {
        let ctx: OpaquePointer

        init() {
            ctx = EVP_MD_CTX_new()
            EVP_DigestInit_ex(ctx, EVP_sha256(), nil)
        }

        init(copying other: Context) {
            ctx = EVP_MD_CTX_new()
            EVP_MD_CTX_copy_ex(ctx, other.ctx)
        }

        deinit { EVP_MD_CTX_free(ctx) }
    }

    private var context = Context()

    public init() {}

    private mutating func unique() -> OpaquePointer {
        if !isKnownUniquelyReferenced(&context) { context = Context(copying: context) }
        return context.ctx
    }

    public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        let handled: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if handled == nil {
            let copy = Array(bytes)
            copy.withUnsafeBytes { update($0) }
        }
    }

    public mutating func update(_ input: UnsafeRawBufferPointer) {
        guard let base = input.baseAddress, input.count > 0 else { return }
        EVP_DigestUpdate(unique(), base, input.count)
    }

    public mutating func update(_ text: String) {
        var text = text
        text.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// The digest as 64 lowercase hex characters.
    public mutating func finalizeHex() -> String {
        var md = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(unique(), &md, &length)
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for b in md.prefix(Int(length)) {
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The same hash in portable Swift: the reference the libcrypto-backed `SHA256` is tested against.
struct PortableSHA256: Sendable {
    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19
    )
    private var block = [UInt8](repeating: 0, count: 64)
    private var blockCount = 0
    private var totalBytes: UInt64 = 0

    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    init() {}

    /// Hashes whole 64-byte blocks straight from the input; only a partial block is copied.
    mutating func update(_ input: UnsafeRawBufferPointer) {
        totalBytes &+= UInt64(input.count)
        var offset = 0
        if blockCount > 0 {
            let take = min(64 - blockCount, input.count)
            for i in 0..<take { block[blockCount + i] = input[i] }
            blockCount += take
            offset = take
            if blockCount == 64 {
                block.withUnsafeBytes { compress($0.baseAddress!) }
                blockCount = 0
            }
        }
        while input.count - offset >= 64 {
            compress(input.baseAddress! + offset)
            offset += 64
        }
        while offset < input.count {
            block[blockCount] = input[offset]
            blockCount += 1
            offset += 1
        }
    }

    /// The digest as 64 lowercase hex characters.
    mutating func finalizeHex() -> String {
        let bitLength = totalBytes &* 8
        var padding: [UInt8] = [0x80]
        let used = (blockCount + 1) % 64
        padding += [UInt8](repeating: 0, count: used <= 56 ? 56 - used : 120 - used)
        for i in (0..<8).reversed() { padding.append(UInt8(truncatingIfNeeded: bitLength >> (UInt64(i) * 8))) }
        padding.withUnsafeBytes { update($0) }
        let words = [state.0, state.1, state.2, state.3, state.4, state.5, state.6, state.7]
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for w in words {
            for shift in stride(from: 28, through: 0, by: -4) { out.append(hex[Int((w >> UInt32(shift)) & 0xF)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func compress(_ p: UnsafeRawPointer) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            for i in 0..<16 { w[i] = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)) }
            for i in 16..<64 {
                let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, h) = state
            PortableSHA256.k.withUnsafeBufferPointer { k in
                for i in 0..<64 {
                    let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                    let ch = (e & f) ^ (~e & g)
                    let t1 = h &+ s1 &+ ch &+ k[i] &+ w[i]
                    let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                    let maj = (a & b) ^ (a & c) ^ (b & c)
                    let t2 = s0 &+ maj
                    h = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ t2
                }
            }
            state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d, state.4 &+ e, state.5 &+ f, state.6 &+ g, state.7 &+ h)
        }
    }

    @inline(__always) private func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
}
