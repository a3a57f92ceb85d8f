import Foundation
import SamsparDomain
import SamsparStore
import SamsparTestSupport
import Testing

@Suite("Moving house: db copy")
struct CopyTests {
    /// From an embedded SQLite installation to every engine: afterwards every report is identical.
    @Test(arguments: Engine.available)
    func everyReportIsIdenticalAfterACopy(target engine: Engine) async throws {
        let source = try await Engine.sqlite.makeStore()
        let target = try await engine.makeStore()
        defer {
            Task {
                try? await source.close(); try? await target.close()
            }
        }
        let agreement = try Fixtures.agreement
        try await Fixtures.load(source)
        // A revision and a demo-sized caseload make the copy non-trivial.
        var revised = agreement
        revised.validFrom = Day(year: 2019, month: 1, day: 1)!
        revised.tracks[1].genderGoal = .init(sex: .male, minShare: 0.25)
        _ = try await source.importAgreement(revised, document: Data(revised.document.serialized().utf8), importedAt: Date())
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("copy-\(UUID().uuidString)").path
        let files = try DemoLoader.writeFiles(Caseload.ostraSodertorn(agreement: agreement, participants: 300, seed: 7), to: directory)
        _ = try await DemoLoader.load(agreements: [], files: files, into: source, currentYear: 2026, now: Date())

        let summary = try await DatabaseCopy.copy(
            from: source, to: target, currentYear: 2026, now: Date(),
            scratchDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("scratch-\(UUID().uuidString)").path)
        #expect(summary.agreementVersions == 2)
        #expect(try await target.counts() == (try await source.counts()))
        for year in 2016...2019 {
            for asOf in [Day(year: year, month: 6, day: 30)!, Day(year: year + 1, month: 3, day: 31)!] {
                let (a, va) = try await source.report(agreementID: "ostra-sodertorn", year: year, asOf: asOf)
                let (b, vb) = try await target.report(agreementID: "ostra-sodertorn", year: year, asOf: asOf)
                #expect(va.version == vb.version)
                #expect(a == b, "report \(year) as of \(asOf)")
                #expect(ReportDocument(report: a).json.serialized() == ReportDocument(report: b).json.serialized())
            }
        }
        // Copying into a database that already holds data is refused.
        await #expect(throws: StoreError.self) {
            _ = try await DatabaseCopy.copy(from: source, to: target, currentYear: 2026, now: Date(), scratchDirectory: directory + "-again")
        }
    }
}
