import Hummingbird
import Publishing

/// What a request got wrong, answered as `{"error": code, "message": text}` with the right status.
enum APIError: Error, Equatable {
    case invalidDepth(given: String, max: Int)
    case unknownBook(exchange: String, symbol: String)
    case unauthorized
    case invalidBody(String)
    case bodyTooLarge(limit: Int)
    case websocketUpgradeRequired

    var status: HTTPResponse.Status {
        switch self {
        case .invalidDepth, .invalidBody: .badRequest
        case .unknownBook: .notFound
        case .unauthorized: .unauthorized
        case .bodyTooLarge: .contentTooLarge
        case .websocketUpgradeRequired: .upgradeRequired
        }
    }

    var code: String {
        switch self {
        case .invalidDepth: "invalid_depth"
        case .unknownBook: "unknown_book"
        case .unauthorized: "unauthorized"
        case .invalidBody: "invalid_body"
        case .bodyTooLarge: "body_too_large"
        case .websocketUpgradeRequired: "websocket_upgrade_required"
        }
    }

    var message: String {
        switch self {
        case .invalidDepth(let given, let max):
            "depth must be an integer from 1 to \(max), got \"\(given)\""
        case .unknownBook(let exchange, let symbol):
            "no order book for exchange \"\(exchange)\" and symbol \"\(symbol)\""
        case .unauthorized:
            "missing or wrong bearer token (send Authorization: Bearer <token>)"
        case .invalidBody(let why):
            why
        case .bodyTooLarge(let limit):
            "request body larger than \(limit) bytes"
        case .websocketUpgradeRequired:
            "this route is a websocket: connect with an Upgrade: websocket request"
        }
    }

    var response: Response {
        var response = JSONResponse.make(status: status, JSONWriter.bytes { w in
            w.raw("{\"error\":")
            w.string(code)
            w.raw(",\"message\":")
            w.string(message)
            w.byte(UInt8(ascii: "}"))
        })
        if self == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer realm=\"marketprism\"" }
        return response
    }
}
