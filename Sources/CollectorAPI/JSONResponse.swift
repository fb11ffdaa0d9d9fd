import Foundation
import Hummingbird
import NIOCore

/// Responses with JSON or Prometheus text bodies.
enum JSONResponse {
    static func make(status: HTTPResponse.Status = .ok, _ bytes: [UInt8]) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// `value` through JSONEncoder with sorted keys, so the same state always gives the same bytes
    /// (the status carries a dictionary). Not a hot path: a few requests a second at most.
    static func encode<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        make(status: status, try encodeBytes(value))
    }

    static func encodeBytes<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // A rate of NaN or infinity must not turn /status into a 500.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return Array(try encoder.encode(value))
    }
}
