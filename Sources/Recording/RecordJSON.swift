/// One record as one line of JSON (what `marketprism cat` prints), written straight from the borrowed
/// view into a byte buffer: no Foundation, no intermediate strings for the payload.
///
/// Keys, in this order: `wall_ns`, `time`, `mono_ns`, `stream`, `kind`, then when present `url`,
/// `method`, `status`, `headers` (object), `close_code`, `close_reason`, `binary` (true for binary
/// websocket frames), then `payload`: a JSON string when the bytes are valid UTF-8, else base64 with
/// `"payload_encoding":"base64"`.
public enum RecordJSON {
    public static func append(_ record: RecordView, to out: inout [UInt8]) {
        appendASCII("{\"wall_ns\":", to: &out)
        appendASCII(String(record.wallNs), to: &out)
        appendASCII(",\"time\":\"", to: &out)
        appendASCII(WallTimeText.iso8601(record.wallNs), to: &out)
        appendASCII("\",\"mono_ns\":", to: &out)
        appendASCII(String(record.monoNs), to: &out)
        appendASCII(",\"stream\":", to: &out)
        appendASCII(String(record.stream), to: &out)
        appendASCII(",\"kind\":\"", to: &out)
        appendASCII(record.kind.rawValue, to: &out)
        out.append(UInt8(ascii: "\""))
        if record.metadata.count > 0 {
            if let url = record.urlBytes { appendField("url", url, to: &out) }
            if let method = record.method { appendField("method", method, to: &out) }
            if let status = record.status { appendASCII(",\"status\":\(status)", to: &out) }
            let headers = record.headers
            if !headers.isEmpty {
                appendASCII(",\"headers\":{", to: &out)
                for (i, header) in headers.enumerated() {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    appendString(header.name, to: &out)
                    out.append(UInt8(ascii: ":"))
                    appendString(header.value, to: &out)
                }
                out.append(UInt8(ascii: "}"))
            }
            if let code = record.closeCode { appendASCII(",\"close_code\":\(code)", to: &out) }
            if let reason = record.closeReason { appendField("close_reason", reason, to: &out) }
        }
        if record.isBinary { appendASCII(",\"binary\":true", to: &out) }
        let payload = record.payload
        if isValidUTF8(payload) {
            appendASCII(",\"payload\":", to: &out)
            appendString(payload, to: &out)
        } else {
            appendASCII(",\"payload\":\"", to: &out)
            appendBase64(payload, to: &out)
            appendASCII("\",\"payload_encoding\":\"base64\"", to: &out)
        }
        appendASCII("}\n", to: &out)
    }

    private static func appendASCII(_ text: String, to out: inout [UInt8]) {
        out.append(contentsOf: text.utf8)
    }

    private static func appendField(_ key: String, _ value: String, to out: inout [UInt8]) {
        appendASCII(",\"\(key)\":", to: &out)
        appendString(value, to: &out)
    }

    private static func appendField(_ key: String, _ value: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        appendASCII(",\"\(key)\":", to: &out)
        appendString(value, to: &out)
    }

    private static func appendString(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { appendString(UnsafeRawBufferPointer($0), to: &out) }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// A JSON string literal of valid UTF-8 bytes: quotes, backslashes and control bytes escaped.
    public static func appendString(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        out.reserveCapacity(out.count + bytes.count + 2)
        out.append(UInt8(ascii: "\""))
        var runStart = 0
        for i in 0..<bytes.count {
            let b = bytes[i]
            guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<i]))
            runStart = i + 1
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case 0x0A: out.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [92, UInt8(ascii: "t")])
            default: out.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(b >> 4)], hex[Int(b & 15)]])
            }
        }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        out.append(UInt8(ascii: "\""))
    }

    /// Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
    public static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        let n = bytes.count
        while i < n {
            let b0 = bytes[i]
            if b0 < 0x80 {
                i += 1
                continue
            }
            func continuation(_ k: Int) -> Bool { i + k < n && bytes[i + k] & 0xC0 == 0x80 }
            if b0 >= 0xC2, b0 <= 0xDF {
                guard continuation(1) else { return false }
                i += 2
            } else if b0 >= 0xE0, b0 <= 0xEF {
                guard continuation(1), continuation(2) else { return false }
                let b1 = bytes[i + 1]
                if b0 == 0xE0, b1 < 0xA0 { return false }  // overlong
                if b0 == 0xED, b1 > 0x9F { return false }  // surrogate
                i += 3
            } else if b0 >= 0xF0, b0 <= 0xF4 {
                guard continuation(1), continuation(2), continuation(3) else { return false }
                let b1 = bytes[i + 1]
                if b0 == 0xF0, b1 < 0x90 { return false }  // overlong
                if b0 == 0xF4, b1 > 0x8F { return false }  // above U+10FFFF
                i += 4
            } else {
                return false
            }
        }
        return true
    }

    private static let base64Alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 with padding (RFC 4648 section 4).
    public static func appendBase64(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        let a = base64Alphabet
        var i = 0
        let n = bytes.count
        out.reserveCapacity(out.count + (n + 2) / 3 * 4)
        while i + 3 <= n {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(contentsOf: [a[Int(v >> 18)], a[Int(v >> 12 & 63)], a[Int(v >> 6 & 63)], a[Int(v & 63)]])
            i += 3
        }
        if n - i == 1 {
            let v = UInt32(bytes[i]) << 16
            out.append(contentsOf: [a[Int(v >> 18)], a[Int(v >> 12 & 63)], 61, 61])
        } else if n - i == 2 {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out.append(contentsOf: [a[Int(v >> 18)], a[Int(v >> 12 & 63)], a[Int(v >> 6 & 63)], 61])
        }
    }
}
