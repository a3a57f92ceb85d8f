import Foundation
import SamsparDomain
import SamsparTestSupport
import Testing

@testable import SamsparStore
@testable import SamsparWeb

/// Issue 23, part 3: the record of processing, generated from the installation. The world is
/// AccessMatrixTests.setUp's: Haninge holds four people and has consented two of them to
/// Tyresö, the samordningsförbund and Arbetsförmedlingen (one consent withdrawn 2019-05-01);
/// the samordningsförbund registers nobody, so its coordinator (coordinator@example.se) reads
/// the joint figures live.
@Suite("The record of processing")
struct ProcessingRecordTests {
    @Test(arguments: Engine.available)
    func eachPartysOwnRecordFromTheInstallation(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        _ = try await AccessMatrixTests.setUp(h)
        let auditor = try await h.session(for: "auditor@example.se")
        let page = try await h.request(.get, "/granskning/behandlingar", as: .session(cookie: auditor.cookie, csrf: nil))
        #expect(page.status == .ok)
        for words in [
            "<h1>Registerförteckning</h1>", "Haninge kommun (212000-0084) för de deltagare organisationen själv har registrerat: 4 personer i dag.",
            "Tyresö kommun (1 personer)", "Arbetsförmedlingen Östra Södertörn (1 personer)", "tal från 1 till 4 döljs",
            "inte angett något gallringsbeslut", engine == .sqlite ? "I en SQLite-databas" : "I en PostgreSQL-databas",
            "Samordningsförbundet Östra Södertörn (222000-2162)</td><td>coordinator@example.se",
        ] {
            #expect(page.text.contains(words), "\(words)")
        }
        let processor = try await h.request(.get, "/granskning/behandlingar/bitrade", as: .session(cookie: auditor.cookie, csrf: nil))
        #expect(processor.status == .ok && processor.text.contains("Haninge kommun (212000-0084)"))
        #expect(processor.text.contains("Arbetsförmedlingen Östra Södertörn (202100-2114)"))
        #expect(!processor.text.contains("Samordningsförbundet Östra Södertörn (222000-2162)"), "it holds no registrations")
    }
}
