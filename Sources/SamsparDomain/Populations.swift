/// Which agreements' reports a person counts in (SPEC §3, the population): every agreement one
/// of whose municipalities a registration of theirs names, among the registrations made by the
/// report's day. In each of those agreements all of the person's registrations made by then
/// count, whatever municipality they name, with their records: the person is counted once,
/// from every party's registrations (SPEC §2), and the report's own rules then decide whether
/// they are active there.
///
/// It is the rule the store's one-agreement read writes in SQL (`ReportQuery`), here for a
/// read of every registration in identity-number order that gives every agreement's report
/// input at once (issue 27, part 3: all reports from one pass over the population, not a
/// million index seeks).
public struct Populations: Sendable {
    /// The agreements, in the order their inputs are asked for.
    public let agreements: [Agreement]
    /// By municipality code (0–9999, looked up by index for each of a million people): the
    /// positions of the agreements it belongs to, ascending.
    private let byMunicipality: [[Int]]

    public init(_ agreements: [Agreement]) {
        self.agreements = agreements
        var table = Array(repeating: [Int](), count: 10_000)
        for (i, agreement) in agreements.enumerated() {
            for m in Set(agreement.municipalities.map(\.value)) where m >= 0 && Int(m) < table.count { table[Int(m)].append(i) }
        }
        byMunicipality = table
    }

    private func agreements(of municipality: Kommunkod) -> [Int] {
        let m = Int(municipality.value)
        return m >= 0 && m < byMunicipality.count ? byMunicipality[m] : []
    }

    /// The positions (ascending) of the agreements whose population holds the person of
    /// `registrations` (all of one person, those made by the report's day).
    public func agreements(of registrations: [Registration]) -> [Int] {
        if registrations.count == 1, let only = registrations.first { return agreements(of: only.record.municipality) }
        var result: [Int] = []
        for r in registrations {
            for i in agreements(of: r.record.municipality) where !result.contains(i) { result.append(i) }
        }
        result.sort()
        return result
    }

    /// Whether `registration` counts in agreement `index`'s report when its person is in the
    /// population: every registration of the person does (the rule above), so this is `true`;
    /// turned around by `scripts/mutants` (only those naming one of its municipalities), which
    /// the store's one-pass tests must catch.
    public func counts(_ registration: Registration, in index: Int) -> Bool {
        guard Mutant.flips("reports.wholePerson") else { return true }
        return agreements[index].municipalities.contains(registration.record.municipality)
    }
}
