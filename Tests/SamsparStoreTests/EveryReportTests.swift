import Foundation
import SamsparDomain
import SamsparTestSupport
import Testing

@testable import SamsparStore

/// Every agreement's report from one read of the whole population (issue 27, part 3,
/// ``SamsparStore/reports(year:asOf:)``). Two agreements share Arbetsförmedlingen, and
/// Arbetsförmedlingen's registrations of two people name a municipality of the other
/// agreement than the person's municipality does: each such person is in both populations,
/// and in each every registration of theirs counts (SPEC §3), the figures written out by hand.
@Suite("Every report from one read")
struct EveryReportTests {
    static let af = try! Organisationsnummer("202100-2114")
    static let asOf = Day(year: 2019, month: 3, day: 31)!

    /// Östra Södertörn's fixtures, an agreement of Eskilstuna and Arbetsförmedlingen with three
    /// tracks (`svets` first), Arbetsförmedlingen's registrations of Ali (in Eskilstuna by its record),
    /// Karim (in Tyresö by its record) and a woman in Eskilstuna whose identity number says male
    /// (her sex given, as the reads carry it packed), their events, and a draft without signatures.
    static func load(_ store: any SamsparStore) async throws {
        try await Fixtures.load(store)
        var eskilstuna = try Fixtures.agreement
        eskilstuna.id = "eskilstuna"
        eskilstuna.parties =
            eskilstuna.parties.filter { $0.orgNumber == af } + [
                Agreement.Party(
                    orgNumber: Fixtures.eskilstuna.number, name: "Eskilstuna kommun", kind: .municipality, municipalityCode: try Kommunkod("0484"),
                    signatory: "Anna Test", title: "Kommunstyrelseordförande")
            ]
        // Three of Östra Södertörn's tracks (a signed agreement has three or more), under codes
        // of their own.
        eskilstuna.tracks = zip([2, 1, 3], ["svets", "lager", "esk-unga"]).map { i, code in
            var track = eskilstuna.tracks[i]
            track.code = code
            return track
        }
        eskilstuna.signatures = eskilstuna.parties.map {
            Agreement.Signature(
                orgNumber: $0.orgNumber, place: "Eskilstuna", date: Day(year: 2017, month: 11, day: 13)!, name: $0.signatory ?? "", title: $0.title)
        }
        _ = try await store.importAgreement(eskilstuna, document: Data(eskilstuna.document.serialized().utf8), importedAt: Date())
        var draft = eskilstuna
        draft.id = "bara-utkast"
        draft.tracks[0].code = "utkast"
        draft.signatures = []
        draft.status = .draft
        _ = try await store.importAgreement(draft, document: Data(draft.document.serialized().utf8), importedAt: Date())

        let scope = ImportScope(organisation: af.value, today: asOf)
        let participants = """
            person_id;sex;municipality;first_permit_date;registered_on;upper_secondary_completed
            199009132391;;0484;2017-05-15;2018-01-15;no
            199201202398;;0138;2017-01-01;2017-03-01;no
            198501139995;female;0484;2017-09-01;2018-03-01;no
            """
        let events = """
            person_id;track;event;date;reason
            199009132391;vard;invited;2018-06-01;
            199201202398;svets;invited;2018-09-01;
            199201202398;svets;started;2019-06-01;
            """
        for (kind, text) in [(ImportKind.participants, participants), (.events, events)] {
            _ = try await store.importFile(kind, from: .bytes(Array(text.utf8)), currentYear: 2026, scope: scope, progress: nil)
        }
    }

    @Test(arguments: Engine.available)
    func everyAgreementsReportFromOneReadIsWrittenOutByHand(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            try await Self.load(store)
            try await Self.expectTheFiguresByHand(store)
        }
    }

    /// With a pool, PostgreSQL reads the lower and the upper half of the identity numbers on
    /// two connections in one exported snapshot: the same figures.
    @Test(.enabled(if: PostgresPoolTests.enabled, "needs scripts/with-postgres.sh's cluster"))
    func onAPostgreSQLPoolTheTwoHalvesGiveTheSameFigures() async throws {
        let pooled = try await PostgreSQLStore.open(try await PostgresTestDatabase.makeLocation(), auditKey: Engine.auditKey, poolSize: 4)
        do {
            try await Self.load(pooled)
            try await Self.expectTheFiguresByHand(pooled)
            // Analysed, the table has a histogram of identity numbers, and the halves split at
            // its middle rather than the exact one (``PostgreSQLStore/middlePerson``): the same
            // figures, whichever number it gives.
            try await pooled.transaction { s in try await s.query("ANALYZE registrations", []) }
            let histogram = try await pooled.transaction { s in
                try await s.query("SELECT histogram_bounds IS NOT NULL AS drawn FROM pg_stats WHERE tablename = 'registrations' AND attname = 'person_id'", [])
            }
            #expect(histogram.first?["drawn"] == .int(1))
            let middle = try await pooled.transaction { s in try await s.query(PostgreSQLStore.middlePerson, []) }
            #expect(middle.first?["middle"].int != nil)
            try await Self.expectTheFiguresByHand(pooled)
            try await pooled.close()
        } catch {
            try? await pooled.close()
            throw error
        }
    }

    static func expectTheFiguresByHand(_ store: any SamsparStore) async throws {
        do {
            let all = try await store.reports(year: 2018, asOf: Self.asOf)
            // In id order; the draft has no figures.
            #expect(all.map(\.1.agreement.id) == ["eskilstuna", "ostra-sodertorn"])
            let (eskilstuna, ostra) = (all[0].0, all[1].0)

            // Östra Södertörn: four active as before (Karim is in its population through
            // Arbetsförmedlingen's Tyresö record, but the municipality's record says Eskilstuna).
            #expect(ostra.participants.active == 4)
            #expect(ostra.participants.female == 2)
            #expect(ostra.participants.male == 2)
            // Invited to vård: Amina, and Ali by Arbetsförmedlingen, whose record of him names
            // Eskilstuna: every registration of a person in the population counts.
            #expect(ostra.tracks[0].count(.invited) == 2)
            #expect(ostra.tracks[0].count(.completed) == 1)
            #expect(ostra.recruitment == Ratio(2, of: 4))

            // Eskilstuna: Karim and Arbetsförmedlingen's 198501139995 are active (Ali is in its
            // population through Arbetsförmedlingen's record, but his municipality's record says
            // Haninge). 198501139995's identity number says male; the record says female, and
            // a value given counts over one derived (SPEC §3).
            #expect(eskilstuna.participants.active == 2)
            #expect(eskilstuna.participants.male == 1)
            #expect(eskilstuna.participants.female == 1)
            // Invited to svets by Arbetsförmedlingen, whose record of him names Tyresö; his start
            // on 2019-06-01 is after the report's day.
            #expect(eskilstuna.tracks.map(\.code) == ["svets", "lager", "esk-unga"])
            #expect(eskilstuna.tracks[0].count(.invited) == 1)
            #expect(eskilstuna.tracks[0].count(.started) == 0)
        }
    }

    /// The same reports as one agreement's read gives, agreement by agreement.
    @Test(arguments: Engine.available)
    func oneReadGivesEachReportAsItsOwnReadDoes(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            try await Self.load(store)
            for asOf in [Day(year: 2018, month: 6, day: 30)!, Self.asOf] {
                let all = try await store.reports(year: 2018, asOf: asOf)
                #expect(all.count == 2)
                for (report, stored) in all {
                    let (alone, _) = try await store.report(agreementID: stored.agreement.id, year: 2018, asOf: asOf)
                    #expect(report == alone, "\(stored.agreement.id) as of \(asOf)")
                }
            }
        }
    }
}
