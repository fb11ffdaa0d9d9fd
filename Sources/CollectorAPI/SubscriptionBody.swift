import CollectorControl
import Foundation
import Hummingbird

/// The body of `POST`/`DELETE /api/v1/subscriptions`:
/// `{"exchange":"binance","symbols":["BTCUSDT"],"channels":["trade"]}` (channels optional).
enum SubscriptionBody {
    static func read(_ request: Request, limit: Int) async -> Result<SubscriptionRequest, APIError> {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            return .failure(.bodyTooLarge(limit: limit))
        }
        return decode(Data(buffer.readableBytesView))
    }

    static func decode(_ data: Data) -> Result<SubscriptionRequest, APIError> {
        let request: SubscriptionRequest
        do {
            request = try JSONDecoder().decode(SubscriptionRequest.self, from: data)
        } catch {
            return .failure(.invalidBody(
                "expected {\"exchange\": string, \"symbols\": [string], \"channels\": [string] (optional)}"))
        }
        if request.exchange.isEmpty { return .failure(.invalidBody("\"exchange\" must not be empty")) }
        if request.symbols.isEmpty || request.symbols.contains(where: \.isEmpty) {
            return .failure(.invalidBody("\"symbols\" must be a non-empty array of non-empty strings"))
        }
        if let channels = request.channels, channels.contains(where: \.isEmpty) {
            return .failure(.invalidBody("\"channels\" must not contain empty strings"))
        }
        return .success(request)
    }
}
