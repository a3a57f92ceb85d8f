import Testing

@testable import SamsparDomain

private typealias S = Spec

/// The dashboard's drill-down (issue 8): the people behind a figure are the ones it counts.
@Suite("The people behind a figure")
struct ReportMembersTests {
    @Test func eachFigureListsExactlyThePeopleItCounts() {
        let p = S.people(4)
        let participants = [
            S.person(p[0], registered: "2018-02-01"),
            S.person(p[1], registered: "2018-03-01"),
            S.person(p[2], registered: "2016-01-01", exited: "2017-06-01"),  // exited before Y: in no figure
            S.person(p[3], in: S.eskilstuna, registered: "2018-02-01"),  // not a party's resident
        ]
        let events = [
            S.event(p[0], "vard", .attended, "2018-03-01"), S.event(p[0], "vard", .accepted, "2018-03-10"),
            S.event(p[1], "vard", .attended, "2018-04-01"),
            S.event(p[2], "vard", .attended, "2018-04-01"),
            S.event(p[3], "vard", .attended, "2018-04-01"),
            S.event(p[1], "bygg", .invited, "2017-12-31"),  // before Y
        ]
        let input = ReportInput(participants: participants, events: events, statuses: [])
        func members(_ f: Report.Figure) -> [Personnummer] {
            Report.members(of: f, for: S.standard, year: 2018, asOf: S.day("2019-03-31"), input: input)
        }
        #expect(members(.active) == [p[0], p[1]].sorted())
        #expect(members(.event(track: 0, kind: .attended)) == [p[0], p[1]].sorted())
        #expect(members(.event(track: 0, kind: .accepted)) == [p[0]])
        #expect(members(.event(track: 1, kind: .invited)) == [])
        #expect(members(.recruited) == [p[0], p[1]].sorted())
        // Permit 2017-01-01: both are in group A in 2018; + 730 days is 2019-01-01, so both are
        // measurable by 2019-03-31, and with no status neither is established.
        #expect(members(.targetGroupA) == [p[0], p[1]].sorted())
        #expect(members(.measurable) == [p[0], p[1]].sorted())
        #expect(members(.establishedWithinGoal) == [])
    }
}
