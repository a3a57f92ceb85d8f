import Foundation
import Testing

@testable import SamsparDomain

/// Issue 7, part 7: no input crashes and no input is silently wrong.
@Suite("Extremes of input")
struct InputExtremesTests {
    typealias S = Spec

    static func agreementJSON(_ extra: String) -> Data {
        Data(
            """
            {"id": "x", "title": "X", "validFrom": "2018-01-01", \(extra)
             "parties": \(S.partiesJSON(["0136"])), "tracks": \(S.defaultTracks)}
            """.utf8)
    }

    static func problems(_ extra: String) -> [String] {
        do {
            _ = try Agreement.parse(json: agreementJSON(extra))
            return []
        } catch {
            return error.problems.map { "\($0.path): \($0.reason)" }
        }
    }

    @Test func everyNumberOfAnAgreementIsBoundedAndTheErrorNamesTheField() {
        #expect(Self.problems(#""overallGoal": {"maxEstablishmentDays": 3000000000},"#) == ["overallGoal.maxEstablishmentDays: 3000000000 is outside 1–3650"])
        #expect(Self.problems(#""overallGoal": {"maxEstablishmentDays": 3651},"#) == ["overallGoal.maxEstablishmentDays: 3651 is outside 1–3650"])
        #expect(Self.problems(#""overallGoal": {"maxEstablishmentDays": 3650},"#) == [])
        #expect(Self.problems(#""periodMonths": 121,"#) == ["periodMonths: 121 is outside 1–120"])
        #expect(Self.problems(#""periodMonths": -5,"#) == ["periodMonths: -5 is outside 1–120"])
        #expect(
            Self.problems(#""targetGroups": {"a": {"monthsSinceFirstPermit": 9223372036854775807}},"#) == [
                "targetGroups.a.monthsSinceFirstPermit: 9223372036854775807 is outside 1–120"
            ])
        #expect(
            Self.problems(#""targetGroups": {"b": {"minAge": -1, "maxAge": 121}},"#) == [
                "targetGroups.b.minAge: -1 is outside 0–120", "targetGroups.b.maxAge: 121 is outside 0–120",
            ])
        #expect(Self.problems(#""targetGroups": {"b": {"minAge": 0, "maxAge": 120}},"#) == [])
        // A number too large for any integer is a type error naming the field, not a crash.
        #expect(!Self.problems(#""periodMonths": 1e400,"#).isEmpty)
    }

    @Test func anUnknownKeyIsAnErrorNamingIt() {
        #expect(
            Self.problems(#""overallGoal": {"maxEstablishmentDay": 365},"#) == [
                "overallGoal.maxEstablishmentDay: is not a key of an agreement document (misspelt?)"
            ])
        #expect(Self.problems(#""colour": "blue","#) == ["colour: is not a key of an agreement document (misspelt?)"])
        #expect(Self.problems(#""modelParts": {"skillNeed": "x"},"#) == ["modelParts.skillNeed: is not a key of an agreement document (misspelt?)"])
        // The shared example has only known keys.
        #expect(S.example.id == "ostra-sodertorn")
    }

    @Test func datesOutsideThePlausibleRangeAreRefused() {
        #expect(Self.problems(#""nextRevision": "0218-06-01","#) == ["nextRevision: 0218-06-01 is not a plausible date (expected 1900-01-01 to 2099-12-31)"])
        #expect((try? Day(plausibleISO: "1899-12-31")) == nil)
        #expect((try? Day(plausibleISO: "1900-01-01")) == S.day("1900-01-01"))
        #expect((try? Day(plausibleISO: "2099-12-31")) == S.day("2099-12-31"))
        #expect((try? Day(plausibleISO: "2100-01-01")) == nil)
        #expect((try? Day(plausibleISO: "9999-12-31")) == nil)
    }

    static func parse(_ kind: ImportKind, _ text: String) throws -> (ImportSchema, [CSVRecord]) { try Spec.schema(kind, text) }

    @Test func importRowsWithImplausibleDatesAreRefusedNamingTheColumn() throws {
        let (schema, rows) = try Self.parse(.statuses, "person_id;status;date\n199001012385;work;0218-06-01\n")
        guard case .failure(let error) = schema.status(rows[0]) else {
            Issue.record("a year 218 was accepted")
            return
        }
        #expect(error.problems.map(\.description) == ["line 2, column date: 0218-06-01 is not a plausible date (expected 1900-01-01 to 2099-12-31)"])
    }

    /// A samordningsnummer with an unknown birth month may be born in January: a permit on
    /// 1 March of the birth year is plausible; one the year before is not.
    @Test func permitBeforeBirthComparesWithTheEarliestPossibleBirthDate() throws {
        let number = try #require(Spec.rows("skatteverket-test-samordningsnummer.csv").first { $0.dropFirst(4).prefix(2) == "00" })
        let person = try Personnummer(number, currentYear: 2026)
        let year = person.earliestBirthDate.year
        #expect(person.earliestBirthDate == Day(year: year, month: 1, day: 1))
        let (schema, rows) = try Self.parse(
            .participants,
            """
            person_id;municipality;first_permit_date;registered_on;upper_secondary_completed
            \(number);0136;\(year)-03-01;\(year + 20)-01-01;no
            \(number);0136;\(year - 1)-12-31;\(year + 20)-01-01;no
            """)
        guard case .success = schema.participant(rows[0]) else {
            Issue.record("a permit in March of the birth year was refused for \(number)")
            return
        }
        guard case .failure(let error) = schema.participant(rows[1]) else {
            Issue.record("a permit before the birth year was accepted")
            return
        }
        #expect(error.problems.first?.column == "first_permit_date")
    }

    /// The largest values every parser accepts go through every report path without a trap.
    @Test func theExtremesGoThroughEveryReportPath() throws {
        let agreement = try Agreement.parse(
            json: Self.agreementJSON(
                #""overallGoal": {"maxEstablishmentDays": 3650}, "periodMonths": 120, "targetGroups": {"a": {"monthsSinceFirstPermit": 120}, "b": {"minAge": 0, "maxAge": 120}},"#
            ))
        let p = S.people(2)
        let people = [
            S.person(p[0], permit: "1900-01-01", registered: "1900-01-01", exited: "2099-12-31"),
            S.person(p[1], permit: "2099-12-31", registered: "2099-12-31"),
        ]
        let events = [S.event(p[0], "vard", .completed, "2099-12-31", in: agreement), S.event(p[1], "vard", .attended, "1900-01-01", in: agreement)]
        let statuses = [S.status(p[0], .work, "2099-12-31"), S.status(p[1], .studies, "1900-01-01")]
        for (year, asOf) in [(1900, "1900-01-01"), (2099, "2099-12-31"), (2018, "2019-03-31")] {
            let r = S.report(for: agreement, year: year, asOf: asOf, people, events: events, statuses: statuses)
            for suppression in [nil, Suppression(), Suppression(threshold: 1000)] {
                let document = ReportDocument(report: r, suppression: suppression)
                #expect(!document.json.serialized().isEmpty)
                #expect(!document.csv.isEmpty)
            }
        }
    }
}
