import CZstd

/// One reusable compression context: every data frame is an independent zstd frame with its content
/// size and a content checksum, compressed with `ZSTD_compress2` so the context's tables are reused.
final class ZstdCompressor {
    private let context: OpaquePointer

    init(level: Int32) throws(RecordingError) {
        guard let context = ZSTD_createCCtx() else { throw .compression(code: 0, message: "ZSTD_createCCtx failed") }
        self.context = context
        for (parameter, value) in [
            (ZSTD_c_compressionLevel, level), (ZSTD_c_checksumFlag, 1), (ZSTD_c_contentSizeFlag, 1),
        ] {
            let result = ZSTD_CCtx_setParameter(context, parameter, value)
            if ZSTD_isError(result) != 0 {
                ZSTD_freeCCtx(context)
                throw .compression(code: Int(result), message: String(cString: ZSTD_getErrorName(result)))
            }
        }
    }

    deinit { ZSTD_freeCCtx(context) }

    static func bound(_ size: Int) -> Int { ZSTD_compressBound(size) }

    /// Compresses `source` into `destination` (which must hold `bound(source.count)` bytes); returns the frame size.
    func compress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawPointer, capacity: Int) throws(RecordingError) -> Int {
        let result = ZSTD_compress2(context, destination, capacity, source.baseAddress, source.count)
        if ZSTD_isError(result) != 0 {
            throw .compression(code: Int(result), message: String(cString: ZSTD_getErrorName(result)))
        }
        return result
    }
}

/// One reusable decompression context (`ZSTD_decompressDCtx` into the reader's reused buffer).
///
/// It skips zstd's content checksum: the reader has already matched the frame's stored bytes against
/// the XXH64 in its frame info, and identical bytes decode to identical content, so checking the
/// content too would only spend a second hash pass over every decompressed byte.
final class ZstdDecompressor {
    private let context: OpaquePointer

    init() {
        context = ZSTD_createDCtx()!
        // ZSTD_d_forceIgnoreChecksum (experimental, stable since zstd 1.4.7) = ZSTD_d_experimentalParam3.
        _ = ZSTD_DCtx_setParameter(context, ZSTD_d_experimentalParam3, Int32(ZSTD_d_ignoreChecksum.rawValue))
    }

    deinit { ZSTD_freeDCtx(context) }

    enum Outcome {
        case decompressed(Int)
        case failed(String)
    }

    func decompress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawPointer, capacity: Int) -> Outcome {
        let result = ZSTD_decompressDCtx(context, destination, capacity, source.baseAddress, source.count)
        if ZSTD_isError(result) != 0 { return .failed(String(cString: ZSTD_getErrorName(result))) }
        return .decompressed(result)
    }
}
