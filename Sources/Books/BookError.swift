import Model

/// Which side of a book a level belongs to.
public enum BookSide: String, Hashable, Sendable {
    case bid
    case ask
}

/// Why a level could not be applied to an `OrderBook`. The book is left unchanged by the failing level.
public enum BookError: Error, Hashable, Sendable {
    /// The price cannot be expressed as an Int64 mantissa at the book's common scale (overflow),
    /// so it cannot be ordered exactly against the other levels.
    case priceNotRepresentable(side: BookSide, price: FixedDecimal, bookScale: UInt8)
    /// Sizes are amounts resting at a price; a negative one means a parse or venue error.
    case negativeSize(side: BookSide, price: FixedDecimal, size: FixedDecimal)
}
