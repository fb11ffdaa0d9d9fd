/// A growable, manually managed byte buffer: the write path appends records to it and the read path
/// decompresses into it, reusing the same memory for every frame so neither allocates per record.
final class ByteBuffer {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var capacity: Int
    var count: Int = 0

    init(capacity: Int = 4096) {
        self.capacity = max(capacity, 64)
        base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit { base.deallocate() }

    /// Makes room for at least `total` bytes, keeping the first `count` bytes.
    @inline(__always)
    func reserve(_ total: Int) {
        if total > capacity { grow(to: total) }
    }

    private func grow(to total: Int) {
        var newCapacity = capacity
        while newCapacity < total { newCapacity = newCapacity < (1 << 30) ? newCapacity * 2 : newCapacity + (1 << 30) }
        let newBase = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        newBase.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// Releases memory beyond `limit` after an unusually large frame, so one huge record does not pin it forever.
    func shrink(ifAbove limit: Int) {
        guard capacity > limit, count <= limit else { return }
        let newBase = UnsafeMutableRawPointer.allocate(byteCount: limit, alignment: 16)
        newBase.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = newBase
        capacity = limit
    }

    @inline(__always)
    func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0, let src = bytes.baseAddress else { return }
        reserve(count + bytes.count)
        (base + count).copyMemory(from: src, byteCount: bytes.count)
        count += bytes.count
    }

    @inline(__always)
    func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    @inline(__always)
    func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        reserve(count + MemoryLayout<T>.size)
        (base + count).storeBytes(of: value.littleEndian, as: T.self)
        count += MemoryLayout<T>.size
    }

    @inline(__always)
    func storeLittleEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        (base + offset).storeBytes(of: value.littleEndian, as: T.self)
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}

extension UnsafeRawPointer {
    /// Reads a little-endian integer at any alignment. Inlinable so `RecordView`'s inlined accessors
    /// compile to plain loads in the caller's module, not calls to a generic entry point.
    @inlinable @inline(__always)
    func loadLittleEndian<T: FixedWidthInteger>(at offset: Int, as: T.Type) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
