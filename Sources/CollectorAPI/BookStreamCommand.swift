import Foundation

/// A message from a `/ws/orderbook` client:
/// `{"action":"subscribe","symbols":["BTC-USDT","okx:ETH-USDT"],"depth":10}`, `{"action":"unsubscribe",...}`.
/// A plain symbol means that symbol on every exchange; `exchange:symbol` one book.
struct BookStreamCommand: Equatable {
    enum Action: String, Equatable {
        case subscribe, unsubscribe
    }

    var action: Action
    var symbols: [BookSelector]
    var depth: Int?

    enum ParseError: Error, Equatable {
        case notJSON
        case unknownAction(String?)
        case missingSymbols
        case invalidDepth(Int, max: Int)

        var message: String {
            switch self {
            case .notJSON: "expected a JSON object like {\"action\":\"subscribe\",\"symbols\":[\"BTC-USDT\"]}"
            case .unknownAction(let a): "unknown action \(a.map { "\"\($0)\"" } ?? "(none)"): use subscribe or unsubscribe"
            case .missingSymbols: "\"symbols\" must be a non-empty array of strings"
            case .invalidDepth(let d, let max): "depth must be from 1 to \(max), got \(d)"
            }
        }
    }

    private struct Wire: Decodable {
        var action: String?
        var symbols: [String]?
        var depth: Int?
    }

    /// Client text is small and rare (a few commands per connection): Foundation's decoder is fine here.
    static func parse(_ text: String, maxDepth: Int) throws(ParseError) -> BookStreamCommand {
        guard let wire = try? JSONDecoder().decode(Wire.self, from: Data(text.utf8)) else { throw .notJSON }
        guard let name = wire.action, let action = Action(rawValue: name) else { throw .unknownAction(wire.action) }
        guard let symbols = wire.symbols, !symbols.isEmpty, symbols.allSatisfy({ !$0.isEmpty }) else { throw .missingSymbols }
        if let depth = wire.depth, depth < 1 || depth > maxDepth { throw .invalidDepth(depth, max: maxDepth) }
        return BookStreamCommand(action: action, symbols: symbols.map(BookSelector.init), depth: wire.depth)
    }
}

/// `BTC-USDT` (any exchange) or `binance:BTC-USDT` (one book).
struct BookSelector: Hashable, Comparable, Sendable {
    var exchange: String?
    var symbol: String

    init(_ text: String) {
        if let colon = text.firstIndex(of: ":") {
            exchange = String(text[..<colon])
            symbol = String(text[text.index(after: colon)...])
        } else {
            exchange = nil
            symbol = text
        }
    }

    var text: String { exchange.map { "\($0):\(symbol)" } ?? symbol }

    func matches(exchange e: String, symbol s: String) -> Bool {
        s == symbol && (exchange == nil || exchange == e)
    }

    static func < (a: BookSelector, b: BookSelector) -> Bool { a.text < b.text }
}
