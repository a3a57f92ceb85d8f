import Foundation
import SamsparDomain
import Testing

@testable import SamsparStore

/// Stored agreement documents are parsed once per text (``StoredDocuments``, issue 27).
@Suite struct StoredDocumentsTests {
    static let title = "Överenskommelse om fördjupad samverkan om nyanländas etablering"

    /// A text read again gives the agreement parsed from it; a text changed in place (a draft
    /// saved over its version keeps its id and version) is parsed anew, and the first text
    /// still gives its own agreement afterwards.
    @Test func eachTextGivesItsOwnAgreement() throws {
        let original = try #require(String(data: try Fixtures.agreementJSON, encoding: .utf8))
        let edited = original.replacingOccurrences(of: "\"title\": \"\(Self.title)\"", with: "\"title\": \"Reviderad överenskommelse\"")
        #expect(edited != original)
        #expect(try parseStored(original).title == Self.title)
        #expect(try parseStored(edited).title == "Reviderad överenskommelse")
        #expect(try parseStored(original).title == Self.title)
        #expect(try parseStored(edited).title == "Reviderad överenskommelse")
        // A text that does not parse is refused every time, never kept.
        let broken = String(original.dropLast(8))
        #expect(throws: (any Error).self) { try parseStored(broken) }
        #expect(throws: (any Error).self) { try parseStored(broken) }
    }

    /// The texts kept stay within their budget: a text that would pass it empties the memory
    /// first, and a text kept again is not counted twice.
    @Test func theKeptTextsStayWithinTheirBudget() throws {
        let agreement = try Fixtures.agreement
        var kept: StoredDocuments.Kept = ([:], 0)
        StoredDocuments.keep(agreement, parsedFrom: "aaaa", in: &kept, limit: 10)
        StoredDocuments.keep(agreement, parsedFrom: "bbbb", in: &kept, limit: 10)
        StoredDocuments.keep(agreement, parsedFrom: "bbbb", in: &kept, limit: 10)
        #expect(kept.bytes == 8)
        #expect(Set(kept.agreements.keys) == ["aaaa", "bbbb"])
        StoredDocuments.keep(agreement, parsedFrom: "ccc", in: &kept, limit: 10)
        #expect(kept.bytes == 3)
        #expect(Set(kept.agreements.keys) == ["ccc"])
        StoredDocuments.keep(agreement, parsedFrom: "ddddddd", in: &kept, limit: 10)
        #expect(kept.bytes == 10)
        #expect(Set(kept.agreements.keys) == ["ccc", "ddddddd"])
    }
}
