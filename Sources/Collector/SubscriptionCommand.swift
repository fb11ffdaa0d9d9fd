import CollectorControl
import Foundation

/// The NATS command subject's protocol: `{"action":"subscribe"|"unsubscribe","exchange":..,"symbols":[..],"channels":[..]}`
/// in, a `SubscriptionResult` as JSON out. Bad requests get `ok: false` with the reason, never silence.
public enum SubscriptionCommand {
    struct Envelope: Decodable {
        var action: String
        var exchange: String
        var symbols: [String]
        var channels: [String]?
    }

    public static func answer(_ request: [UInt8], control: any CollectorControl) -> [UInt8] {
        let result: SubscriptionResult
        do {
            let envelope = try JSONDecoder().decode(Envelope.self, from: Data(request))
            let subscription = SubscriptionRequest(exchange: envelope.exchange, symbols: envelope.symbols, channels: envelope.channels)
            switch envelope.action {
            case "subscribe": result = control.subscribe(subscription)
            case "unsubscribe": result = control.unsubscribe(subscription)
            default:
                result = SubscriptionResult(ok: false, exchange: envelope.exchange, changed: [],
                                            error: "action must be subscribe or unsubscribe, got '\(envelope.action)'")
            }
        } catch {
            result = SubscriptionResult(ok: false, exchange: "", changed: [],
                                        error: "expected {\"action\",\"exchange\",\"symbols\",\"channels\"?} JSON: \(error)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array((try? encoder.encode(result)) ?? Data("{\"ok\":false}".utf8))
    }
}
