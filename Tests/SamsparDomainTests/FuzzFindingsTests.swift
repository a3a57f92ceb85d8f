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

    /// FuzzAgreementJSON, 2026-12-05, in CI's 20-second run: a mutated seed agreement with a
    /// misspelt model part (`skallsNeed`), a signature with `name` twice (line 25, column 103)
    /// and a NUL byte inside a signature's title (line 27, column 116). `JSONDecoder` read the
    /// raw control character; `JSONSerialization`, which the check for misspelt keys uses,
    /// refused it, and the check then found nothing: the agreement was accepted and what Samspår
    /// wrote of it was refused when read back. Now the document is refused at the first of the
    /// two places the readers part.
    @Test func aControlCharacterInAStringIsRefused() throws {
        let data = try Data(contentsOf: Self.folder.appendingPathComponent("FuzzAgreementJSON-crash-7557cb0066563af2fe2f629867fe141c2db5c615"))
        let refusal = #expect(throws: AgreementError.self) { try Agreement.parse(json: data) }
        #expect(
            refusal?.problems.map(\.description) == [
                "$: line 25, column 103: the key is written twice in one object"
            ])
        // With the second `name` taken out, the NUL byte is the first place.
        let text = String(decoding: data, as: UTF8.self).replacingOccurrences(of: #""name": "Meeri Was11-13", "#, with: "")
        let second = #expect(throws: AgreementError.self) { try Agreement.parse(json: Data(text.utf8)) }
        #expect(
            second?.problems.map(\.description) == [
                "$: line 27, column 116: a control character (U+0000) inside a string must be written as an escape"
            ])
    }

    /// The other way Foundation's two readers part: a key written twice in one object, which the
    /// decoder reads as its first value and `JSONSerialization` as its last.
    @Test(
        arguments: [
            (#"{"id": "a", "id": "b"}"#, "$: line 1, column 13: the key is written twice in one object"),
            (#"{"id": "a", "\u0069d": "b"}"#, "$: line 1, column 13: the key is written twice in one object"),
            (#"{"id": "a", "\u0069\u0044": "b"}"#, nil),
            (
                "{\"a\": {\"x\": 1},\n \"b\": {\"x\": 1}, \"c\": [{\"x\": 1}, {\"x\": 2, \"x\": 3}]}",
                "$: line 2, column 42: the key is written twice in one object"
            ),
            (#"{"t": "a\u0000b", "u": "\n"}"#, nil),
            ("{\"t\": \"a\tb\"}", "$: line 1, column 9: a control character (U+0009) inside a string must be written as an escape"),
        ] as [(String, String?)])
    func keysAndControlCharacters(document: String, problem: String?) {
        let found = StrictJSON.firstProblem(Array(document.utf8)).map { "$: line \($0.line), column \($0.column): \($0.reason)" }
        #expect(found == problem)
    }
}
