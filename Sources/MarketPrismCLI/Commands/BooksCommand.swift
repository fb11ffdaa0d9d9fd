import ArgumentParser
import Books
import ConfigSupport
import Foundation
import Model
import Simulation

struct BooksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "books",
        abstract: "Replay a recording through the venue adapters and book sync, and print each instrument's book.",
        discussion: """
            No faults, no publishing: the recorded frames and REST snapshots at their recorded times.
            --at takes nanoseconds since the epoch, or an offset from the first record such as 30s.

            Examples:
              marketprism books recordings/okx-btcusdt.mprec --depth 5
              marketprism books recordings/okx-btcusdt.mprec --at 30s --json
            """)

    @Argument(help: "The recording.")
    var recording: String

    @Option(help: "Levels a side to print.")
    var depth = 10

    @Option(help: "Stop at this time: epoch nanoseconds, or an offset from the start like 30s.")
    var at: String?

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        var until: Int64?
        if let at {
            if let ns = Int64(at), ns > 1_000_000_000_000_000 {
                until = ns
            } else if let offset = DurationText.parse(at) {
                let feed: RecordedFeed
                do { feed = try RecordedFeed.load(path: recording) } catch { throw CLIError(error.description) }
                until = feed.firstNs + offset
            } else {
                throw ValidationError("--at expects epoch nanoseconds or an offset like 30s, got '\(at)'")
            }
        }
        let replay: BookReplay
        do { replay = try BookReplay.run(path: recording, untilNs: until) } catch { throw CLIError(error.description) }
        print(json ? Self.json(replay, depth: depth) : Self.text(replay, depth: depth))
    }

    static func json(_ r: BookReplay, depth: Int) -> String {
        var instruments: [String] = []
        for b in r.books.sorted(by: { $0.instrument.symbol < $1.instrument.symbol }) {
            let book = b.isValid ? b.book : nil
            let top = book?.top(depth) ?? (bids: [], asks: [])
            func levels(_ l: [BookLevel]) -> String { "[" + l.map { "[\"\($0.price)\",\"\($0.size)\"]" }.joined(separator: ",") + "]" }
            instruments.append("\"\(b.instrument.symbol)\":{\"native\":\"\(b.instrument.native)\",\"valid\":\(b.isValid),"
                + "\"sequence\":\(b.sequence.map(String.init) ?? "null"),\"bids\":\(levels(top.bids)),\"asks\":\(levels(top.asks)),"
                + "\"bid_levels\":\(book?.bidCount ?? 0),\"ask_levels\":\(book?.askCount ?? 0)}")
        }
        let t = r.totals
        let counts = r.counts.pairs.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",")
        return "{\"venue\":\"\(r.feed.venue.rawValue)\",\"instruments\":{\(instruments.joined(separator: ","))},\"counts\":{\(counts)},"
            + "\"sequence_errors\":\(t.sequenceErrors),\"resyncs\":\(t.resyncs),"
            + "\"checksum\":{\"checked\":\(t.checksumsChecked),\"failed\":\(t.checksumsFailed)}}"
    }

    static func text(_ r: BookReplay, depth: Int) -> String {
        var lines: [String] = []
        for b in r.books.sorted(by: { $0.instrument.symbol < $1.instrument.symbol }) {
            guard b.isValid, let book = b.book else {
                lines.append("\(b.instrument.symbol) (\(b.instrument.native)): no valid book (\(b.state))")
                continue
            }
            lines.append("\(b.instrument.symbol) (\(b.instrument.native))  seq \(b.sequence ?? 0)  \(book.bidCount) bids / \(book.askCount) asks")
            let top = book.top(depth)
            for i in 0..<max(top.bids.count, top.asks.count) {
                let bid = i < top.bids.count ? "\(top.bids[i].size) @ \(top.bids[i].price)" : ""
                let ask = i < top.asks.count ? "\(top.asks[i].price) x \(top.asks[i].size)" : ""
                lines.append("  " + bid.padding(toLength: 34, withPad: " ", startingAt: 0) + "| " + ask)
            }
        }
        let t = r.totals
        lines.append("counts: " + r.counts.pairs.map { "\($0.0) \($0.1)" }.joined(separator: ", "))
        lines.append("sequence errors \(t.sequenceErrors), resyncs \(t.resyncs), checksums \(t.checksumsChecked) checked / \(t.checksumsFailed) failed")
        return lines.joined(separator: "\n")
    }
}
