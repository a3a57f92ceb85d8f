import Foundation
import Testing

@testable import SamsparDomain

private typealias S = Spec

/// Issue 9, parts 3 and 4: status over time and what blocks signing, with days counted by hand.
@Suite("The agreement's life")
struct AgreementLifecycleTests {
    func d(_ text: String) -> Day { S.day(text) }

    /// The seed's agreement: five parties, all signed, from 2018-01-01, twelve months at a time.
    var example: Agreement { S.example }

    @Test func signedThenActiveRenewingEachYear() {
        #expect(example.lifecycle(on: d("2017-12-31")) == .init(status: .signed))
        #expect(example.lifecycle(on: d("2018-01-01")) == .init(status: .active, periodStart: d("2018-01-01"), periodEnd: d("2018-12-31")))
        #expect(example.lifecycle(on: d("2018-12-31")) == .init(status: .active, periodStart: d("2018-01-01"), periodEnd: d("2018-12-31")))
        // Renewed by itself, twice.
        #expect(example.lifecycle(on: d("2020-06-15")) == .init(status: .active, periodStart: d("2020-01-01"), periodEnd: d("2020-12-31")))
    }

    @Test func aTerminationEndsItWithItsPeriod() {
        var a = example
        a.termination = .init(orgNumber: a.parties[0].orgNumber, date: d("2019-03-10"))
        #expect(a.lifecycle(on: d("2019-12-31")) == .init(status: .active, periodStart: d("2019-01-01"), periodEnd: d("2019-12-31"), lastDay: d("2019-12-31")))
        #expect(a.lifecycle(on: d("2020-01-01")) == .init(status: .expired, lastDay: d("2019-12-31")))
        // Notice given on a period's first day ends that period, not the one before.
        a.termination?.date = d("2020-01-01")
        #expect(a.lifecycle(on: d("2020-12-31")).status == .active)
        #expect(a.lifecycle(on: d("2021-01-01")) == .init(status: .expired, lastDay: d("2020-12-31")))
        // Notice before the start: it ends with the first period.
        a.termination?.date = d("2017-12-01")
        #expect(a.lifecycle(on: d("2017-12-15")) == .init(status: .signed, lastDay: d("2018-12-31")))
        #expect(a.lifecycle(on: d("2019-01-01")).status == .expired)
    }

    @Test func periodsCountFromTheStartDay() {
        var a = example
        a.validFrom = d("2018-01-31")
        a.periodMonths = 1
        // 31 January + 1 month is 28 February; + 2 months is 31 March again.
        #expect(a.lifecycle(on: d("2018-02-27")) == .init(status: .active, periodStart: d("2018-01-31"), periodEnd: d("2018-02-27")))
        #expect(a.lifecycle(on: d("2018-02-28")) == .init(status: .active, periodStart: d("2018-02-28"), periodEnd: d("2018-03-30")))
        #expect(a.lifecycle(on: d("2018-03-31")) == .init(status: .active, periodStart: d("2018-03-31"), periodEnd: d("2018-04-29")))
    }

    @Test func aMissingSignatureKeepsItADraft() {
        var a = example
        a.signatures.removeLast()
        #expect(!a.signedByAll)
        #expect(a.lifecycle(on: d("2019-06-01")) == .init(status: .draft))
    }

    @Test func whatBlocksSigning() throws {
        // The example was signed elsewhere and imported: it keeps the import's checks. Signed
        // in Samspår it would need these too (issue 9, part 3).
        #expect(
            example.missingForSigning.map(\.path) == [
                "tracks.vard.responsible", "tracks.barn.responsible", "tracks.bygg.responsible", "tracks.unga.responsible",
                "perspectives.genderEquality", "perspectives.childRights", "perspectives.publicHealth", "costs",
            ])
        var a = try AgreementPreparationTests.complete(example)
        #expect(a.missingForSigning.isEmpty)
        a.parties[1].signatory = " "
        a.modelParts["youth"] = ""
        a.tracks[0].ssyk = []
        a.tracks.removeLast(2)
        a.perspectives["childRights"] = "  "
        a.costs = []
        #expect(
            a.missingForSigning.map(\.path) == [
                "parties.222000-2162", "modelParts.youth", "tracks", "tracks.vard", "perspectives.childRights", "costs",
            ])
        #expect(a.missingForSigning[2].reason == "at least three local tracks are needed, there are 2")
    }

    @Test func aTerminationIsPartOfTheDocument() throws {
        let json = try String(contentsOf: S.shared.appendingPathComponent("examples/agreement.json"), encoding: .utf8)
        let terminated = json.replacingOccurrences(
            of: "\"signatures\":", with: "\"termination\": {\"orgNumber\": \"212000-0092\", \"date\": \"2019-05-02\"},\n  \"signatures\":")
        let a = try Agreement.parse(json: Data(terminated.utf8))
        #expect(a.termination == .init(orgNumber: try Organisationsnummer("212000-0092"), date: d("2019-05-02")))
        #expect(try Agreement.parse(json: Data(a.document.serialized().utf8)).termination == a.termination)
        let stranger = json.replacingOccurrences(
            of: "\"signatures\":", with: "\"termination\": {\"orgNumber\": \"212000-0134\", \"date\": \"2019-05-02\"},\n  \"signatures\":")
        #expect {
            try Agreement.parse(json: Data(stranger.utf8))
        } throws: { error in
            (error as? AgreementError)?.problems.map(\.description) == ["termination.orgNumber: 212000-0134 is not a party to the agreement"]
        }
    }
}

@Suite("Reminders of the agreement's life")
struct AgreementReminderTests {
    func d(_ text: String) -> Day { Spec.day(text) }

    /// The example's next revision is 2018-11-30: 2018-10-01 is 31 + 29 = 60 days before it.
    @Test func revisionWithinSixtyDaysAndOverdue() {
        let a = Spec.example
        #expect(a.reminders(on: d("2018-09-30")) == [])
        #expect(a.reminders(on: d("2018-10-01")) == [.revisionDue(d("2018-11-30"))])
        #expect(a.reminders(on: d("2019-02-01")) == [.revisionDue(d("2018-11-30"))])
    }

    @Test func missingSignatures() {
        var a = Spec.example
        a.nextRevision = nil
        a.signatures.removeAll { $0.orgNumber.description == "212000-0233" || $0.orgNumber.description == "222000-2162" }
        #expect(a.reminders(on: d("2018-06-01")) == [.signatureMissing([try! Organisationsnummer("222000-2162"), try! Organisationsnummer("212000-0233")])])
    }
}

/// Issue 9, part 7: the overall goal by the Kaplan–Meier median, days counted by hand.
@Suite("The overall goal, met or not")
struct OverallGoalTests {
    func establishment(_ observations: [(Int, Bool)]) -> Report.Establishment {
        var e = Report.Establishment()
        e.goalDays = 730
        e.kaplanMeier = KaplanMeier(observations: observations.map { .init(time: $0.0, isEvent: $0.1) })
        return e
    }

    @Test func byTheMedian() {
        // Events at 100 and 200 of three: S falls to 2/3, then 1/3; the median is 200 ≤ 730.
        #expect(establishment([(100, true), (200, true), (900, false)]).overallGoalMet == true)
        // Events at 800 and 900: the median is 900 > 730.
        #expect(establishment([(800, true), (900, true), (1000, false)]).overallGoalMet == false)
        // The curve stops at 400 days at 2/3: nothing is known of day 730 yet.
        #expect(establishment([(100, true), (300, false), (400, false)]).overallGoalMet == nil)
        // Known to 900 days and still at 2/3: the median is past the goal.
        #expect(establishment([(100, true), (800, false), (900, false)]).overallGoalMet == false)
        #expect(establishment([]).overallGoalMet == nil)
    }
}
