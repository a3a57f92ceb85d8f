import Foundation
import Testing

@testable import SamsparDomain

/// Every input libFuzzer found to crash or hang (scripts/fuzz, issue 21) as a unit test, with
/// what it showed written out by hand.
@Suite struct FuzzFindingsTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("FuzzCrashes")

    /// FuzzAgreementJSON, 2026-12-05: the seed's agreement mutated, with a misspelt model part
    /// (`targetGrpup`) and four bytes that are not UTF-8 where `orgNumber` had `Numb` (0xA8 first,
    /// line 34, column 11, counted in bytes). Foundation's decoder read it while the check for misspelt keys could not, so
    /// the misspelling was accepted, and what Samspår wrote of it was refused when read back.
    /// Now the document is refused, naming the place.
    @Test func aDocumentThatIsNotUTF8IsRefused() throws {
        let data = try Data(contentsOf: Self.folder.appendingPathComponent("agreement-ecde69ce.json"))
        let refusal = #expect(throws: AgreementError.self) { try Agreement.parse(json: data) }
        #expect(refusal?.problems.map(\.description) == ["$: line 34, column 11: the document is not UTF-8 text"])
        // The same document with the byte mended is refused for its misspelt key.
        var mended = data
        mended.replaceSubrange(2455..<2459, with: Array("Numb".utf8))
        #expect(throws: AgreementError.self) { try Agreement.parse(json: mended) }
        #expect(Agreement.firstNonUTF8(mended) == nil)
    }
}
