import Foundation
import Testing

/// `samspar agreement document` (issue 9, part 6): the example agreement renders with all its
/// content, in the seed's structure, as HTML and as a PDF read back with `pdftotext`.
@Suite("The agreement as its document")
struct AgreementDocumentCommandLineTests {
    /// What the document must say, written out from `shared/examples/agreement.json` and the
    /// seed (`001_…txt`). Non-breaking spaces are read as spaces.
    static let expected = [
        "Överenskommelse", "om fördjupad samverkan om nyanländas etablering",
        "1. Parter", "2. Syfte", "3. Mål", "4. Lokal modell", "5. Uppföljning", "6. Överenskommelsens varaktighet och revidering", "7. Underskrifter",
        "Arbetsförmedlingen Östra Södertörn, 202100-2114, Pia Erneborg, Biträdande enhetschef",
        "Samordningsförbundet Östra Södertörn, 222000-2162, Johan Svensk, Styrelseordförande",
        "Haninge kommun, 212000-0084, Meeri Wasberg, Kommunstyrelseordförande",
        "Nynäshamns kommun, 212000-0233, Patrik Isestad, Kommunstyrelseordförande",
        "Tyresö kommun, 212000-0092, Fredrik Saweståhl, Kommunstyrelseordförande",
        "påskynda nyanländas etablering på den svenska arbetsmarknaden",
        "Att långsiktigt korta etableringstiden till två år.",
        "Yrkesspår vårdbiträde/personlig assistent – 40 % som fullföljer spåret ska vara män",
        "Yrkesspår barnskötare, resurspedagog, elevassistent inom förskola och skola – 20 % som fullföljer spåret ska vara män",
        "Yrkesspår Husbygg – 12 % som fullföljer spåret ska vara kvinnor",
        "upp till 36 månader efter det första uppehållstillståndet", "i åldern 16–24 år som behöver fullfölja en gymnasieutbildning",
        "Kartläggning och analys av det lokala kompetensförsörjningsbehovet.",
        "Hur kommunen och Arbetsförmedlingen gemensamt stödjer unga nyanlända utan fullföljd gymnasieutbildning.",
        "5330", "7113", "Studiespår för unga utan gymnasieexamen",
        "fr.o.m. 1 januari 2018 och ett år i taget", "Nästa revidering sker 2018-11-30.",
        "Haninge 2017-11-13", "Nynäshamn 2017-11-13", "Tyresö 2017-11-13", "Meeri Wasberg", "Johan Svensk",
    ]

    static func normalised(_ text: String) -> String {
        text.replacing("\u{00A0}", with: " ").split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    func imported() throws -> Samspar {
        let cli = try Samspar()
        let example = Samspar.shared.appendingPathComponent("examples/agreement.json").path
        let result = try cli.run("agreement", "import", example)
        #expect(result.status == 0, "\(result.stderr)")
        return cli
    }

    @Test func theExampleRendersWithAllItsContent() throws {
        let cli = try imported()
        let html = try cli.run("agreement", "document", "ostra-sodertorn")
        #expect(html.status == 0, "\(html.stderr)")
        let text = Self.normalised(html.stdout)
        for phrase in Self.expected {
            #expect(text.contains(Self.normalised(phrase)), "the document lacks: \(phrase)")
        }
        // Every signature, in the order signed; no party is left unsigned.
        #expect(!text.contains("Ännu inte undertecknad"))
        let missing = try cli.run("agreement", "document", "ostra-sodertorn", "--version", "7")
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("has no version 7"))
        let unknown = try cli.run("agreement", "document", "nowhere")
        #expect(unknown.stderr.contains("no agreement 'nowhere'"))
    }

    static let printable =
        FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") && FileManager.default.isExecutableFile(atPath: "/usr/bin/pdftotext")
        && ProcessInfo.processInfo.environment["SAMSPAR_SKIP_BROWSER"] != "1"

    /// The PDF is the HTML printed by headless Chromium; `pdftotext` reads the same words back.
    @Test(.enabled(if: printable, "needs Debian's chromium and poppler-utils (.ci/run installs both)"))
    func thePDFReadsBack() throws {
        let cli = try imported()
        let pdf = cli.directory.appendingPathComponent("overenskommelse.pdf").path
        let printed = try cli.run("agreement", "document", "ostra-sodertorn", "--format", "pdf", "--output", pdf)
        #expect(printed.status == 0, "\(printed.stderr)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/pdftotext")
        process.arguments = [pdf, "-"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = Self.normalised(String(decoding: data, as: UTF8.self))
        for phrase in Self.expected {
            #expect(text.contains(Self.normalised(phrase)), "the PDF lacks: \(phrase)")
        }
    }

    /// `samspar report … --format pdf`: the report's own page printed the same way.
    @Test(.enabled(if: printable, "needs Debian's chromium and poppler-utils (.ci/run installs both)"))
    func theReportAsPDF() throws {
        let cli = try imported()
        let people = try cli.write("people.csv", participantsCSV)
        #expect(try cli.run("import", "participants", people).status == 0)
        let pdf = cli.directory.appendingPathComponent("uppfoljning.pdf").path
        let printed = try cli.run(
            "report", "--agreement", "ostra-sodertorn", "--year", "2018", "--as-of", "2019-03-31", "--suppress", "--format", "pdf", "--output", pdf)
        #expect(printed.status == 0, "\(printed.stderr)")
        let html = try cli.run("report", "--agreement", "ostra-sodertorn", "--year", "2018", "--as-of", "2019-03-31", "--suppress", "--format", "html")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/pdftotext")
        process.arguments = [pdf, "-"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = Self.normalised(String(decoding: data, as: UTF8.self))
        #expect(text.contains("Överenskommelse om fördjupad samverkan om nyanländas etablering"))
        #expect(text.contains("2019-03-31"))
        // Three active participants in 2018: a small count, suppressed in the PDF as on the page.
        #expect(html.stdout.contains("&lt;5") || html.stdout.contains("<5"))
        #expect(text.contains("<5"))
        let missing = try cli.run("report", "--agreement", "ostra-sodertorn", "--year", "2018", "--format", "pdf")
        #expect(missing.status != 0 && missing.stderr.contains("--format pdf needs --output"))
    }
}
