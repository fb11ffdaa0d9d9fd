/// SplitMix64: a small, fast, seedable generator. The core and the simulation draw all randomness
/// from one of these so a seed reproduces a run exactly; `SystemRandomNumberGenerator` never appears there.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniformly distributed double in [0, 1).
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// An independent generator derived from this one, for giving each component its own stream.
    public mutating func fork() -> SeededRandom {
        SeededRandom(seed: next())
    }
}
