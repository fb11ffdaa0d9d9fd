import Exchanges

/// Runs `body` on a scanner over a copy of `text` in an allocation of exactly its size, so a word
/// read past the end of the text would leave the allocation (the fast paths' tests rely on it).
func scanningExactCopy<R>(of text: [UInt8], _ body: (inout JSONScanner) -> R) -> R {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: text.count, alignment: 1)
    defer { buffer.deallocate() }
    text.withUnsafeBytes { buffer.copyMemory(from: $0) }
    var s = JSONScanner(UnsafeRawBufferPointer(buffer))
    return body(&s)
}
