import CCRC32Fold

/// CRC-32 of a text kept as pieces between messages, without the text.
///
/// Why: the CRC is linear over GF(2), so a text's register is the sum of each piece's own register
/// (read from zero) times x^(8 * the bytes after it). A checksum over pieces that mostly did not
/// change since the last message (an OKX book's 50 levels) then costs one carry-less multiply per
/// piece, with no text copied or read; only new pieces are formatted and read. (C: CCRC32Fold's
/// crc32_pieces.c.)
extension CRC32 {
    /// A piece of text for `alternatingPieces`: the raw register of its bytes read from zero (not
    /// inverted) in the low 32 bits, its length in the high 32.
    public static func piece(_ bytes: UnsafePointer<UInt8>, count: Int) -> UInt64 {
        UInt64(marketprism_crc32_raw(bytes, count)) | UInt64(truncatingIfNeeded: count) << 32
    }

    /// The CRC (`update(0, text)`) of the text `first[0] second[0] first[1] second[1] ...` (the
    /// longer list's rest at the end) less its first byte, which must be `droppedByte`: pieces that
    /// each start with a separator, joined without the first one.
    public static func alternatingPieces(
        _ first: UnsafeBufferPointer<UInt64>, _ second: UnsafeBufferPointer<UInt64>, droppingFirstByte droppedByte: UInt8
    ) -> UInt32 {
        marketprism_crc32_alternating_pieces(first.baseAddress, first.count, second.baseAddress, second.count, droppedByte)
    }

    /// The same without carry-less multiplication (the path for CPUs without it); for tests.
    static func alternatingPiecesPortable(
        _ first: UnsafeBufferPointer<UInt64>, _ second: UnsafeBufferPointer<UInt64>, droppingFirstByte droppedByte: UInt8
    ) -> UInt32 {
        marketprism_crc32_alternating_pieces_portable(
            first.baseAddress, first.count, second.baseAddress, second.count, droppedByte)
    }
}
