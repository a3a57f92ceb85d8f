import Foundation
import SamsparDomain
import SamsparTestSupport
import Testing

@testable import SamsparStore

/// Runs `body` with a fresh store and closes it, also when the body throws.
func withStore(_ engine: Engine, _ body: (any SamsparStore) async throws -> Void) async throws {
    let store = try await engine.makeStore()
    do {
        try await body(store)
        try await store.close()
    } catch {
        try? await store.close()
        throw error
    }
}

enum Fixtures {
    static let sharedDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared")

    static var agreementJSON: Data {
        get throws { try Data(contentsOf: sharedDirectory.appendingPathComponent("examples/agreement.json")) }
    }

    static var agreement: Agreement {
        get throws { try Agreement.parse(json: agreementJSON) }
    }

    static func importAgreement(_ store: any SamsparStore) async throws {
        _ = try await store.importAgreement(agreement, document: agreementJSON, importedAt: Date(timeIntervalSince1970: 0))
    }

    /// Five participants made of Skatteverket's test numbers: Haninge, Tyresö, Nynäshamn,
    /// and one in Eskilstuna (not a party to Östra Södertörn).
    static let participants = """
        person_id;given_name;family_name;sex;municipality;first_permit_date;registered_on;exited_on;exit_reason;upper_secondary_completed;education_level
        199001012385;Amina;Testsson;;0136;2016-03-01;2017-01-10;;;yes;3
        199009132391;Ali;Provsson;;0136;2017-05-15;2018-02-01;;;no;2
        199105152392;Omar;Exempel;;0138;2015-01-31;2016-06-01;2018-06-30;flyttat;no;2
        200001012384;Sara;Demo;;0192;2018-02-28;2018-03-01;;;no;1
        199201202398;Karim;Fiktiv;;0484;2017-01-01;2017-02-01;;;no;2
        """

    static let events = """
        person_id;track;event;date;reason
        199001012385;vard;invited;2018-01-15;
        199001012385;vard;attended;2018-01-25;
        199001012385;vard;accepted;2018-02-01;
        199001012385;vard;started;2018-02-15;
        199001012385;vard;completed;2018-08-31;
        199009132391;bygg;invited;2018-03-01;
        199009132391;bygg;attended;2018-03-10;
        199009132391;bygg;declined;2018-03-12;
        200001012384;unga;invited;2018-04-01;
        200001012384;unga;attended;2018-04-10;
        200001012384;unga;accepted;2018-04-12;
        200001012384;unga;started;2018-05-01;
        200001012384;unga;discontinued;2018-10-01;ohälsa
        """

    static let statuses = """
        person_id;status;date
        199001012385;none;2017-01-10
        199001012385;work;2018-10-15
        199009132391;subsidized_work;2019-01-15
        199105152392;studies;2015-01-31
        """

    static let activities = """
        person_id;activity;start;end;hours_per_week;provider
        199001012385;sfi;2017-01-15;2017-12-20;15;Haninge vuxenutbildning
        199001012385;work_practice;2018-01-08;2018-03-30;"20,5";Arbetsförmedlingen
        """

    /// Eskilstuna is in the registry though not a party to Östra Södertörn: its people can be
    /// registered without `--org`.
    static let eskilstuna = Organisation(
        number: try! Organisationsnummer("212000-0282"), name: "Eskilstuna kommun", kind: .municipality, municipalityCode: try! Kommunkod("0484"))

    static func load(_ store: any SamsparStore) async throws {
        try await importAgreement(store)
        try await store.transaction { s in
            if try await Organisations.find(eskilstuna.number, in: s) == nil { try await Organisations.add(eskilstuna, in: s) }
        }
        for (kind, text) in [(ImportKind.participants, participants), (.events, events), (.statuses, statuses), (.activities, activities)] {
            _ = try await store.importFile(kind, from: .bytes(Array(text.utf8)), currentYear: 2026, progress: nil)
        }
    }
}
