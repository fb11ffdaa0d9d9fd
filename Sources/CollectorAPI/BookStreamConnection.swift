import CollectorControl
import HummingbirdWebSocket

/// Runs one `/ws/orderbook` connection: reads commands, writes the session's queue in order,
/// and stops observing the collector when the client leaves.
enum BookStreamConnection {
    static func serve(
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, control: any CollectorControl,
        configuration: CollectorAPIConfiguration
    ) async throws {
        let session = BookStreamSession(control: control, configuration: configuration)
        let observation = control.observeBooks { [session] book in session.offer(book) }
        defer {
            observation.cancel()
            session.queue.close()
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while let item = await session.queue.next() {
                    switch item {
                    case .reply(let bytes):
                        try await outbound.writeTextMessage(String(decoding: bytes, as: UTF8.self))
                    case .update(let book):
                        let bytes = OrderBookJSON.bytes(book, depth: session.depth, type: "update", dropped: session.queue.dropped)
                        try await outbound.writeTextMessage(String(decoding: bytes, as: UTF8.self))
                    }
                }
            }
            for try await message in inbound.messages(maxSize: configuration.websocketMaxMessageBytes) {
                switch message {
                case .text(let text): session.handle(text: text)
                case .binary: session.rejectBinary()
                }
            }
            session.queue.close()
            group.cancelAll()
        }
    }
}
