@testable import Books
import Model
import Testing

@Suite struct LowerBoundTests {
    /// The branch-free bisection agrees with counting the smaller keys, for every chunk length up to
    /// two chunks and keys below, between, equal to and above the stored ones.
    @Test func bisectionEqualsCountingSmallerKeys() {
        var random = SeededRandom(seed: 5)
        for length in 0...(2 * PriceLadder.chunkCapacity) {
            var keys: [Int64] = []
            var next = Int64(random.next() % 100) - 50
            for _ in 0..<length {
                keys.append(next)
                next += Int64(random.next() % 5) + 1
            }
            let probes = keys + keys.map { $0 - 1 } + keys.map { $0 + 1 } + [Int64.min, Int64.max, -1_000, 1_000]
            keys.withUnsafeBufferPointer { buffer in
                for key in probes {
                    let expected = keys.filter { $0 < key }.count
                    #expect(lowerBound(buffer, key) == expected)
                    #expect(lowerBoundFromTop(buffer, key) == expected)
                }
            }
        }
    }
}
