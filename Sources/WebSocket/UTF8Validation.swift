/// Strict UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF) without building a
/// String: text frames must be rejected with 1007 when invalid, and consumers parse the raw bytes anyway.
public enum UTF8Validation {
    public static func isValid(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            let count = buffer.count
            guard let base = buffer.baseAddress else { return true }
            var i = 0
            while i < count {
                // ASCII fast path, eight bytes at a time.
                while i + 8 <= count {
                    let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                    if word & 0x8080_8080_8080_8080 != 0 { break }
                    i += 8
                }
                guard i < count else { return true }
                let b0 = base[i]
                if b0 < 0x80 { i += 1; continue }
                let need: Int
                var low: UInt8 = 0x80, high: UInt8 = 0xBF
                switch b0 {
                case 0xC2...0xDF: need = 1
                case 0xE0: need = 2; low = 0xA0
                case 0xE1...0xEC, 0xEE...0xEF: need = 2
                case 0xED: need = 2; high = 0x9F
                case 0xF0: need = 3; low = 0x90
                case 0xF1...0xF3: need = 3
                case 0xF4: need = 3; high = 0x8F
                default: return false
                }
                guard i + need < count else { return false }
                let b1 = base[i + 1]
                guard b1 >= low && b1 <= high else { return false }
                for k in 1..<need where base[i + 1 + k] & 0xC0 != 0x80 { return false }
                i += need + 1
            }
            return true
        }
    }
}
