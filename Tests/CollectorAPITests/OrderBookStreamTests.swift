import CollectorAPI
import CollectorControl
import Foundation
import Live
import Logging
import ServiceLifecycle
import Testing

@Suite("/ws/orderbook with a real websocket client")
struct OrderBookStreamTests {
    func update(_ sequence: Int64, bid: String) -> OrderBookView {
        var book = sampleBook
        book.sequence = sequence
        book.bids[0] = PriceLevelView(price: bid, quantity: "2.5")
        return book
    }

    @Test("subscribe answers with the subscription and a snapshot, then pushes updates; unsubscribe stops them")
    func subscribeSnapshotUpdates() async throws {
        let collector = InMemoryCollector()
        collector.setBook(sampleBook)
        var okxBook = sampleBook
        okxBook.exchange = "okx"
        okxBook.symbol = "ETH-USDT"
        okxBook.sequence = 77
        collector.setBook(okxBook)
        try await withAPIServer(collector) { api in
            let ws = try await api.webSocket()
            try await ws.send(text: #"{"action":"subscribe","symbols":["BTC-USDT"],"depth":2}"#)
            let ack = try await ws.nextJSON()
            #expect(ack["type"] as? String == "subscribed")
            #expect(ack["symbols"] as? [String] == ["BTC-USDT"])
            let snapshot = try await ws.nextText()
            #expect(
                snapshot
                    == #"{"type":"snapshot","exchange":"binance","symbol":"BTC-USDT","sequence":4242001,"timestamp":"2023-11-14T22:13:20.123456+00:00","timestampNs":1700000000123456000,"#
                    + #""collectedAt":"2023-11-14T22:13:20.125001+00:00","collectedAtNs":1700000000125001000,"#
                    + #""bids":[{"price":91234.50,"quantity":0.35130000},{"price":91234.10,"quantity":1.2}],"#
                    + #""asks":[{"price":91234.60,"quantity":0.00100000},{"price":91235.00,"quantity":3}]}"#)

            // Updates of other books are not sent; updates of subscribed ones are, in order.
            collector.publish(okxBook)
            collector.publish(update(4_242_002, bid: "91234.70"))
            collector.publish(update(4_242_003, bid: "91234.80"))
            for (sequence, bid) in [(4_242_002, 91234.70), (4_242_003, 91234.80)] {
                let message = try await ws.nextJSON()
                #expect(message["type"] as? String == "update")
                #expect(message["exchange"] as? String == "binance")
                #expect(message["sequence"] as? Int == sequence)
                #expect(message["dropped"] as? Int == 0)
                let bids = try #require(message["bids"] as? [[String: Any]])
                #expect(bids.count == 2)
                #expect(bids.first?["price"] as? Double == bid)
            }

            // An exchange-qualified selector: a snapshot of that one book.
            try await ws.send(text: #"{"action":"subscribe","symbols":["okx:ETH-USDT"]}"#)
            #expect(try await ws.nextJSON()["symbols"] as? [String] == ["BTC-USDT", "okx:ETH-USDT"])
            let okxSnapshot = try await ws.nextJSON()
            #expect(okxSnapshot["type"] as? String == "snapshot")
            #expect(okxSnapshot["exchange"] as? String == "okx")
            #expect(okxSnapshot["sequence"] as? Int == 77)

            try await ws.send(text: #"{"action":"unsubscribe","symbols":["BTC-USDT"]}"#)
            let unsubscribed = try await ws.nextJSON()
            #expect(unsubscribed["type"] as? String == "unsubscribed")
            #expect(unsubscribed["symbols"] as? [String] == ["okx:ETH-USDT"])
            // One queue per client keeps order: had this update been queued, it would come before the next reply.
            collector.publish(update(4_242_004, bid: "91234.90"))
            try await ws.send(text: #"{"action":"subscribe","symbols":["SOL-USDT"]}"#)
            let next = try await ws.nextJSON()
            #expect(next["type"] as? String == "subscribed")
            #expect(next["symbols"] as? [String] == ["SOL-USDT", "okx:ETH-USDT"])
            await ws.close()
        }
    }

    @Test("a client slower than the feed loses the oldest updates, counted: received + dropped = published, newest kept")
    func slowClientDropsOldest() async throws {
        let collector = InMemoryCollector()
        collector.setBook(sampleBook)
        let configuration = CollectorAPIConfiguration(websocketQueueCapacity: 8)
        try await withAPIServer(collector, configuration: configuration) { api in
            let ws = try await api.webSocket()
            try await ws.send(text: #"{"action":"subscribe","symbols":["BTC-USDT"],"depth":1}"#)
            #expect(try await ws.nextJSON()["type"] as? String == "subscribed")
            #expect(try await ws.nextJSON()["type"] as? String == "snapshot")
            // Published on this thread without reading: the server's queue for this client overflows.
            let published = 3000
            for i in 1...published { collector.publish(update(4_242_001 + Int64(i), bid: "91234.\(i % 100)")) }
            var received = 0
            var lastSequence: Int64 = 4_242_001
            var dropped = 0
            while lastSequence < 4_242_001 + Int64(published) {
                let message = try await ws.nextJSON()
                let sequence = try #require((message["sequence"] as? NSNumber)?.int64Value)
                #expect(sequence > lastSequence)
                lastSequence = sequence
                dropped = try #require(message["dropped"] as? Int)
                received += 1
            }
            #expect(received + dropped == published)
            #expect(received >= 8)
            await ws.close()
        }
    }

    @Test("bad client messages get an error reply and the connection stays usable")
    func badMessages() async throws {
        let collector = InMemoryCollector()
        collector.setBook(sampleBook)
        try await withAPIServer(collector) { api in
            let ws = try await api.webSocket()
            for (text, fragment) in [
                ("hello", "expected a JSON object"), (#"{"action":"dance","symbols":["A"]}"#, "unknown action \"dance\""),
                (#"{"action":"subscribe","symbols":[]}"#, "non-empty array"),
                (#"{"action":"subscribe","symbols":["BTC-USDT"],"depth":0}"#, "depth must be from 1 to 1000"),
            ] {
                try await ws.send(text: text)
                let reply = try await ws.nextJSON()
                #expect(reply["type"] as? String == "error", "\(text)")
                #expect((reply["error"] as? String)?.contains(fragment) == true, "\(text): \(reply)")
            }
            try await ws.send(binary: [1, 2, 3])
            #expect(try await ws.nextJSON()["type"] as? String == "error")
            try await ws.send(text: #"{"action":"subscribe","symbols":["BTC-USDT"]}"#)
            #expect(try await ws.nextJSON()["type"] as? String == "subscribed")
            #expect(try await ws.nextJSON()["type"] as? String == "snapshot")
            await ws.close()
        }
    }

    @Test("a client that leaves stops being observed")
    func observerCancelledOnClose() async throws {
        let collector = InMemoryCollector()
        try await withAPIServer(collector) { api in
            let ws = try await api.webSocket()
            try await ws.send(text: #"{"action":"subscribe","symbols":["BTC-USDT"]}"#)
            #expect(try await ws.nextJSON()["type"] as? String == "subscribed")
            #expect(collector.observerCount == 1)
            await ws.close()
            // The server's side ends asynchronously: wait (bounded) for the observation to be cancelled.
            var waited = 0
            while collector.observerCount != 0 && waited < 1000 {
                try await Task.sleep(for: .milliseconds(10))
                waited += 1
            }
            #expect(collector.observerCount == 0)
        }
    }

    @Test("as a Service in a ServiceGroup: graceful shutdown closes open websockets with 1000 and run() returns")
    func gracefulShutdown() async throws {
        let collector = InMemoryCollector()
        var logger = Logger(label: "marketprism.api.test")
        logger.logLevel = .warning
        let server = CollectorAPIServer(
            control: collector, configuration: CollectorAPIConfiguration(host: "127.0.0.1", port: 0), logger: logger)
        let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
        let running = Task { try await group.run() }
        let port = try await server.listeningPort()
        #expect(port > 0)
        let ws = try await APIClient(port: port).webSocket()
        try await ws.send(text: #"{"action":"subscribe","symbols":["BTC-USDT"]}"#)
        #expect(try await ws.nextJSON()["type"] as? String == "subscribed")

        await group.triggerGracefulShutdown()
        // The server's close frame arrives (CurlWebSocket answers it); after it the socket is done.
        var closeCode: UInt16?
        while closeCode == nil {
            do {
                guard let message = try await ws.receive() else { break }
                if case .close(let code, _) = message { closeCode = code }
            } catch {
                break
            }
        }
        #expect(closeCode == 1000)
        try await running.value
        #expect(collector.observerCount == 0)
    }

    @Test("listeningPort() fails when the port is taken")
    func portInUse() async throws {
        let collector = InMemoryCollector()
        try await withAPIServer(collector) { api in
            var logger = Logger(label: "marketprism.api.test")
            logger.logLevel = .critical
            let second = CollectorAPIServer(
                control: collector, configuration: CollectorAPIConfiguration(host: "127.0.0.1", port: api.port), logger: logger)
            let task = Task { try await second.run() }
            await #expect(throws: CollectorAPIServer.ServerError.self) { _ = try await second.listeningPort() }
            _ = await task.result
        }
    }
}
