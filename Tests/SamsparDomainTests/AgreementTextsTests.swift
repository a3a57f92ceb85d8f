import Foundation
import Testing

@testable import SamsparDomain

/// Issue 26: the agreement's own wording (`texts`, SPEC §4) and its time plan, read from and
/// written back to the JSON document; every problem named by its path.
@Suite("The agreement's own words and time plan")
struct AgreementTextsTests {
    static func document(_ extra: String) -> Data {
        let base = String(decoding: Caseload.ostraSodertornDocument, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Data((String(base.dropLast()) + ", " + extra + "}").utf8)
    }

    @Test func theSignedExampleKeepsItsWordsExactly() throws {
        let url = Spec.shared.appendingPathComponent("examples/agreement-2018-signed.json")
        let a = try Agreement.parse(json: try Data(contentsOf: url))
        #expect(a.texts.localGoals == "Lokala övergripande mål för respektive yrkesspår avseende deltagare 2018")
        #expect(a.texts.subGoals == "Delmål som tas fram under 2018 utgår ifrån;")
        #expect(a.texts.model == "Parterna åtar sig att arbeta enligt den i bilaga beskrivna modellen.")
        #expect(a.texts.duration == "Fr.o.m. 1 januari 2018 och ett år i taget.")
        #expect(a.texts.followUp?.hasPrefix("Parterna åtar sig att följa upp den fördjupade samverkan. Kommunen ansvarar") == true)
        #expect(a.signatures.map { $0.place } == ["Haninge", "Arbetsförmedlingen", "Nynäshamn", "Tyresö", "Samordningsförbundet"])
        // Written back and read again, nothing changes.
        let again = try Agreement.parse(json: Data(a.document.serialized().utf8))
        #expect(again == a)
    }

    @Test func aTimePlanIsReadAndWrittenBackInItsOrder() throws {
        let a = try Agreement.parse(
            json: Self.document(
                #""timePlan": [{"date": "2018-12-20", "milestone": "Parterna undertecknar"}, {"date": "2018-11-30", "milestone": "Till nämnderna"}]"#))
        #expect(
            a.timePlan == [
                .init(date: Spec.day("2018-12-20"), milestone: "Parterna undertecknar"), .init(date: Spec.day("2018-11-30"), milestone: "Till nämnderna"),
            ])
        let json = a.document.serialized()
        let root = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let plan = try #require(root["timePlan"] as? [[String: String]])
        #expect(plan == [["date": "2018-12-20", "milestone": "Parterna undertecknar"], ["date": "2018-11-30", "milestone": "Till nämnderna"]])
        #expect(try Agreement.parse(json: Data(json.utf8)) == a)
        // An agreement without either writes an empty plan and no texts.
        let plain = try Agreement.parse(json: Caseload.ostraSodertornDocument)
        #expect(plain.texts.isEmpty && plain.timePlan.isEmpty)
        let plainRoot = try #require(try JSONSerialization.jsonObject(with: Data(plain.document.serialized().utf8)) as? [String: Any])
        #expect((plainRoot["texts"] as? [String: Any])?.isEmpty == true)
        #expect((plainRoot["timePlan"] as? [Any])?.isEmpty == true)
    }

    @Test func badWordsAndMilestonesAreRefusedByPath() {
        let long = String(repeating: "a", count: 4001)
        let cases: [(String, String, String)] = [
            (#""texts": {"localGoals": "  "}"#, "texts.localGoals", "is empty"),
            (#""texts": {"preamble": "Text"}"#, "texts.preamble", "is not a key of an agreement document (misspelt?)"),
            (#""texts": {"duration": "\#(long)"}"#, "texts.duration", "is 4001 characters; at most 4000"),
            (#""timePlan": [{"date": "2018-13-01", "milestone": "X"}]"#, "timePlan[0].date", ""),
            (#""timePlan": [{"date": "2018-11-30", "milestone": ""}]"#, "timePlan[0].milestone", "is empty"),
            (#""timePlan": [{"date": "2018-11-30", "what": "X"}]"#, "timePlan[0].milestone", "is required"),
            (#""timePlan": [{"date": "2018-11-30", "milestone": "X", "what": "X"}]"#, "timePlan[0].what", "is not a key of an agreement document (misspelt?)"),
        ]
        for (extra, path, reason) in cases {
            do {
                _ = try Agreement.parse(json: Self.document(extra))
                Issue.record("accepted: \(extra.prefix(60))")
            } catch {
                let found = error.problems.first { $0.path == path }
                #expect(found != nil, "\(extra.prefix(60)): \(error.problems)")
                if !reason.isEmpty { #expect(found?.reason == reason) }
            }
        }
    }
}
