import Books
import Model
import Publishing
import Simulation

// Not a benchmark: replays recordings through `DirectReplay` (the path ReplayBenchmarks times) with
// nothing else in the process, so `valgrind --tool=callgrind` counts the stack's instructions per frame
// without the benchmark harness, and prints a digest of every published message's bytes so a change to
// the hot path can be checked to publish exactly the same output (docs/replay-performance.md).
//
//   ReplayProfile [--passes N] [--depth D] recording.mprec ...

/// Digests every message (subject, id and payload bytes, in order) and counts them.
struct DigestSink: MessageSink {
    var messages = 0
    var bytes = 0
    var digest: UInt64 = 0

    mutating func write(_ message: OutboundMessage) throws(SinkError) {
        messages &+= 1
        bytes &+= message.size
        digest = message.storage.withUnsafeBytes { XXH64.hash($0, seed: digest) }
    }
}

var arguments = Array(CommandLine.arguments.dropFirst())
var passes = 1
var books = BookSyncConfiguration.standard
var paths: [String] = []
while !arguments.isEmpty {
    let a = arguments.removeFirst()
    switch a {
    case "--passes": passes = Int(arguments.removeFirst()) ?? 1
    case "--depth": books.publishedDepth = Int(arguments.removeFirst()) ?? books.publishedDepth
    default: paths.append(a)
    }
}
for path in paths {
    let feed: RecordedFeed
    do { feed = try RecordedFeed.load(path: path) } catch {
        print("\(path): \(error)")
        continue
    }
    let replay = DirectReplay(feed: feed, books: books)
    var sink = DigestSink()
    var frames = 0
    for _ in 0..<passes {
        do { frames += try replay.run(into: &sink).frames } catch {
            print("\(path): \(error)")
            break
        }
    }
    let hex = String(sink.digest, radix: 16)
    print("\(path) depth \(books.publishedDepth): \(frames) frames, \(sink.messages) messages, \(sink.bytes) bytes, digest \(hex)")
}
