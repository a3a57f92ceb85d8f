import Foundation
import Testing

@testable import SamsparDomain

/// SPEC §5: the report document, its JSON contract and CSV (the HTML page: `ReportPageTests`).
@Suite("The report document (SPEC §5)")
struct ReportDocumentTests {
    typealias F = Fixture
    typealias S = Spec

    @Test func theJSONHasTheContractsShapeAndOrder() throws {
        let r = F.report([F.person(F.amina), F.person(F.ali)], events: [F.event(F.amina, "vard", .attended, "2018-01-10")])
        let json = ReportDocument(report: r).json
        guard case .object(let members) = json else { Issue.record("not an object"); return }
        #expect(Array(members.map(\.0).prefix(7)) == ["agreement", "year", "asOf", "participants", "recruitmentShare", "tracks", "establishment"])
        let text = json.serialized()
        let decoded = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(decoded["agreement"] as? String == "ostra-sodertorn")
        #expect(decoded["asOf"] as? String == "2019-03-31")
        #expect(decoded["recruitmentShare"] as? Double == 0.5)
        let participants = try #require(decoded["participants"] as? [String: Any])
        #expect(Set(participants.keys).isSuperset(of: ["active", "female", "male", "targetGroupA", "targetGroupB"]))
        let tracks = try #require(decoded["tracks"] as? [[String: Any]])
        #expect(tracks.map { $0["code"] as? String } == ["vard", "barn", "bygg", "unga"])
        let keys = [
            "invited", "attended", "accepted", "declined", "started", "completed", "discontinued", "acceptanceShare", "completionShare", "outcomeShare",
            "genderGoal",
        ]
        #expect(Set(tracks[0].keys).isSuperset(of: keys))
        let goal = try #require(tracks[0]["genderGoal"] as? [String: Any])
        #expect(goal["sex"] as? String == "male")
        #expect(goal["target"] as? Double == 0.4)
        #expect(goal["share"] is NSNull)
        #expect(goal["met"] is NSNull)
        #expect(tracks[3]["genderGoal"] is NSNull)
        let establishment = try #require(decoded["establishment"] as? [String: Any])
        #expect(
            Set(establishment.keys).isSuperset(of: [
                "population", "measurable", "establishedWithinGoal", "shareWithinGoal", "kmShareWithinGoal", "kmMedianDays",
            ]))
    }

    @Test func theJSONHasTheContractsKeysInOrder() throws {
        let p = S.people(3)
        let r = S.report(
            for: S.example, [S.person(p[0]), S.person(p[1]), S.person(p[2], in: S.nynashamn)],
            events: [S.event(p[0], "vard", .attended, "2018-01-10", in: S.example), S.event(p[1], "bygg", .attended, "2018-01-10", in: S.example)])
        let doc = ReportDocument(report: r).json
        #expect(Array(doc.keys.prefix(7)) == ["agreement", "year", "asOf", "participants", "recruitmentShare", "tracks", "establishment"])
        #expect(doc["agreement"] == .string("ostra-sodertorn"))
        #expect(doc["year"] == .int(2018))
        #expect(doc["asOf"] == .string("2019-03-31"))
        #expect(Array(doc["participants"]!.keys.prefix(5)) == ["active", "female", "male", "targetGroupA", "targetGroupB"])
        let tracks = doc["tracks"]!.items
        #expect(tracks.map { $0["code"] } == [.string("vard"), .string("barn"), .string("bygg"), .string("unga")])
        for track in tracks {
            #expect(
                Array(track.keys.prefix(12)) == [
                    "code", "invited", "attended", "accepted", "declined", "started", "completed", "discontinued", "acceptanceShare",
                    "completionShare", "outcomeShare", "genderGoal",
                ])
        }
        #expect(Array(tracks[0]["genderGoal"]!.keys.prefix(4)) == ["sex", "target", "share", "met"])
        #expect(tracks[3]["genderGoal"] == .null)
        #expect(
            Array(doc["establishment"]!.keys.prefix(6)) == [
                "population", "measurable", "establishedWithinGoal", "shareWithinGoal", "kmShareWithinGoal", "kmMedianDays",
            ])
        // The text is JSON, and a share keeps (at least) four decimals: 2/3.
        let text = doc.serialized()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let share = try #require(object["recruitmentShare"] as? Double)
        #expect(abs(share - 2.0 / 3.0) < 1e-4)
        #expect(text.contains("0.6666"))
        let compact = doc.serialized(pretty: false)
        #expect(compact.hasPrefix(#"{"agreement":"ostra-sodertorn","year":2018,"asOf":"2019-03-31","participants":{"active":3,"#))
        #expect((try? JSONSerialization.jsonObject(with: Data(compact.utf8))) != nil)
        // With no one active every share is null and every count 0.
        let empty = ReportDocument(report: S.report(for: S.example, [])).json
        #expect(empty["recruitmentShare"] == .null)
        #expect(empty["participants"]?["active"] == .int(0))
        #expect(empty["tracks"]?.items.first?["acceptanceShare"] == .null)
        #expect(empty["establishment"]?["kmShareWithinGoal"] == .null)
        #expect(empty["establishment"]?["kmMedianDays"] == .null)
    }

    @Test func csvRenders() {
        let r = F.report([F.person(F.amina), F.person(F.ali)], events: [F.event(F.amina, "vard", .attended, "2018-01-10")])
        let document = ReportDocument(report: r)
        #expect(document.csv.hasPrefix("\u{FEFF}section;track;figure;value\r\n"))
        #expect(document.csv.contains("report;;recruitmentShare;0,5\r\n"))
        #expect(document.csv.contains("tracks;vard;attended;1\r\n"))
        #expect(document.csv.contains("tracks;vard;genderGoal.target;0,4\r\n"))
    }

    @Test func csvUsesSemicolonsAndADecimalComma() {
        let p = S.people(3)
        let r = S.report(
            for: S.example, p.map { S.person($0) },
            events: [
                S.event(p[0], "vard", .attended, "2018-01-10", in: S.example),
                S.event(p[1], "vard", .attended, "2018-01-10", in: S.example),
            ])
        let csv = ReportDocument(report: r).csv
        let text = csv.hasPrefix("\u{FEFF}") ? String(csv.dropFirst()) : csv
        let lines = text.split(whereSeparator: \.isNewline).map(String.init)
        #expect(lines.count > 20)
        let rows = lines.map { $0.split(separator: ";", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.allSatisfy { $0.count == rows[0].count })
        let recruitment = rows.first { $0.contains("recruitmentShare") }
        #expect(recruitment?.last?.hasPrefix("0,6666") == true)
        // No value is written with a decimal point.
        #expect(!rows.contains { ($0.last ?? "").contains(".") && Double($0.last!) != nil })
        #expect(rows.contains { $0.contains("vard") && $0.contains("attended") && $0.last == "2" })
        #expect(rows.contains { $0.contains("genderGoal.target") && $0.contains("vard") && $0.last == "0,4" })
    }
}
