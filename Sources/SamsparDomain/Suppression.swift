/// A count as shown: its value, hidden because it is small, or hidden only so that another
/// hidden count cannot be recovered by subtraction (SPEC §3, suppression).
public enum ShownCount: Sendable, Equatable {
    case value(Int)
    /// A count from 1 to `threshold − 1`: shown as `"<5"` (with the threshold in place of 5).
    case small
    /// A count hidden only to protect another (complementary suppression): shown as `".."`,
    /// since it is not a small count and must not claim to be one.
    case complementary

    /// The text shown for it under `threshold`.
    public func text(threshold: Int) -> String {
        switch self {
        case .value(let n): String(n)
        case .small: "<\(threshold)"
        case .complementary: ".."
        }
    }

    public var isHidden: Bool {
        if case .value = self { return false }
        return true
    }
}

/// Suppression of small counts for roles without access to individual data (`analyst`,
/// public exports, `--suppress`), exactly as SPEC §3 says:
/// - a count from 1 to `threshold − 1` is shown as `"<5"`;
/// - a share is `null` when its numerator, its denominator or their difference is so small
///   (8 of 10 reveals the other 2);
/// - where parts partition a shown total and exactly one part is hidden, the smallest other
///   non-zero part (the first on a tie) is hidden too, as `".."`;
/// - a count shown beside a subset of the same people hides the subset (as `".."`) when the
///   difference of the two is small.
public struct Suppression: Sendable, Equatable {
    /// Counts below this (and above 0) are hidden. SPEC default 5.
    public var threshold: Int

    public static let defaultThreshold = 5

    public init(threshold: Int = Suppression.defaultThreshold) {
        precondition(threshold >= 1)
        self.threshold = threshold
    }

    public func isHidden(_ count: Int) -> Bool { count >= 1 && count < threshold }

    public func show(_ count: Int) -> ShownCount { isHidden(count) ? .small : .value(count) }

    /// The share, unless its numerator, its denominator or their difference is small.
    public func show(_ ratio: Ratio) -> Double? {
        isHidden(ratio.numerator) || isHidden(ratio.denominator) || isHidden(ratio.denominator - ratio.numerator) ? nil : ratio.share
    }

    /// Parts of a shown total. When exactly one part is hidden, the smallest other non-zero
    /// part is hidden too (ties: the first), as ``ShownCount/complementary``. A part of 0 is
    /// shown: it hides nothing.
    public func show(parts: [Int]) -> [ShownCount] { show(parts: parts, hiding: []) }

    /// Parts of a shown total of which those at `forced` (indices) must be hidden whatever
    /// their size (a close's counts that one party's own figures fill, SPEC §3): they show as
    /// ``ShownCount/complementary`` even when small (`<5` beside `..` would tell a small count
    /// from a zero), and the rule for parts then holds as above.
    public func show(parts: [Int], hiding forced: Set<Int>) -> [ShownCount] {
        var shown = parts.map(show)
        for i in forced where shown.indices.contains(i) { shown[i] = .complementary }
        let hidden = shown.indices.filter { shown[$0].isHidden }
        if hidden.count == 1 {
            let candidates = parts.indices.filter { !shown[$0].isHidden && parts[$0] > 0 }
            // `min(by:)` keeps the first of equal elements.
            if let smallest = candidates.min(by: { parts[$0] < parts[$1] }) { shown[smallest] = .complementary }
        }
        return shown
    }

    /// A count and a count of a subset of the same people (`measurable` and
    /// `establishedWithinGoal`): when the difference is small, the subset is hidden.
    public func show(total: Int, subset: Int) -> (total: ShownCount, subset: ShownCount) {
        let shownTotal = show(total)
        var shownSubset = show(subset)
        if shownSubset != .small && shownTotal != .small && isHidden(total - subset) { shownSubset = .complementary }
        return (shownTotal, shownSubset)
    }
}
