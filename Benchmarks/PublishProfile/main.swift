import BenchmarkSupport
import PublishingWorkload
#if canImport(Glibc)
import Glibc
#endif

// Not a suite: the core publish loop of `PublishingBenchmarks` alone, for callgrind (docs/messages.md).
// Usage: PublishProfile [EVENTS [ROUNDS [BOOKS_EVERY]]]   (BOOKS_EVERY 0: trades only)
let arguments = CommandLine.arguments.dropFirst().map { Int($0) }
guard arguments.allSatisfy({ $0 != nil }) else {
    print("usage: PublishProfile [EVENTS [ROUNDS [BOOKS_EVERY]]], all whole numbers")
    exit(2)
}
let count = arguments.count > 0 ? arguments[0]! : 200_000
let rounds = arguments.count > 1 ? arguments[1]! : 1
let booksEvery = arguments.count > 2 ? arguments[2]! : 10
let events = PublishingWorkload.events(count: count, booksEvery: booksEvery)
for _ in 0..<rounds {
    let start = threadCPUNanoseconds()
    let acked = PublishingWorkload.publishAll(events)
    guard acked == events.count else {
        print("only \(acked) of \(events.count) messages were acked")
        exit(1)
    }
    print("\(events.count) messages, \(perSecond(events.count, threadCPUNanoseconds() - start)) msg/s over the thread's CPU time")
}
