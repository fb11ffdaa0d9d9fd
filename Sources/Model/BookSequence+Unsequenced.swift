extension BookSequence {
    /// The sequence of a book message whose venue sent no sequence numbers at all (OKX before
    /// `seqId` existed, e.g. the 2022 cryptofeed sample): continuity then rests on the checksum.
    public static let unsequenced = BookSequence(first: 0, last: 0, previous: nil)

    public var isUnsequenced: Bool { self == .unsequenced }
}
