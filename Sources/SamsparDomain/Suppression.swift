/// A count as shown: its value, or hidden because it is small (SPEC §3, suppression).
public enum ShownCount: Sendable, Equatable, CustomStringConvertible {
    case value(Int)
    case suppressed

    public var description: String {
        switch self {
        case .value(let n): String(n)
        case .suppressed: "<5"
        }
    }
}

/// Suppression of small counts for roles without access to individual data (`analyst`,
/// public exports, `--suppress`): a count from 1 to `threshold − 1` is shown as `"<5"`
/// (with the threshold in place of 5), a share whose numerator or denominator is so hidden
/// is `null`, and where a total is shown with its parts, one more part is hidden whenever
/// exactly one is, so that no hidden count can be recovered by subtraction.
public struct Suppression: Sendable, Equatable {
    /// Counts below this (and above 0) are hidden. SPEC default 5.
    public var threshold: Int

    public init(threshold: Int = 5) {
        precondition(threshold >= 1)
        self.threshold = threshold
    }

    public func isHidden(_ count: Int) -> Bool { count >= 1 && count < threshold }

    public func show(_ count: Int) -> ShownCount { isHidden(count) ? .suppressed : .value(count) }

    /// The share, unless its numerator or denominator is hidden.
    public func show(_ ratio: Ratio) -> Double? {
        isHidden(ratio.numerator) || isHidden(ratio.denominator) ? nil : ratio.share
    }

    /// Parts of a shown total. When exactly one part is hidden, the smallest other
    /// non-zero part is hidden too (ties: the first). A part of 0 is shown: it hides nothing.
    public func show(parts: [Int]) -> [ShownCount] {
        var shown = parts.map(show)
        let hidden = shown.indices.filter { shown[$0] == .suppressed }
        if hidden.count == 1 {
            let candidates = parts.indices.filter { shown[$0] != .suppressed && parts[$0] > 0 }
            if let smallest = candidates.min(by: { parts[$0] < parts[$1] }) { shown[smallest] = .suppressed }
        }
        return shown
    }
}
