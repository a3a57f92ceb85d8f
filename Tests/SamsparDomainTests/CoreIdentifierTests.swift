import Foundation
import Testing

@testable import SamsparDomain

let sharedData = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data")

func lines(of file: String) throws -> [String] {
    try String(contentsOf: sharedData.appendingPathComponent(file), encoding: .utf8)
        .split(whereSeparator: \.isNewline).dropFirst().map(String.init)
}

@Suite("Identity numbers (SPEC §2)")
struct CoreIdentifierTests {
    @Test func everyOneOfSkatteverketsTestNumbersIsAccepted() throws {
        let numbers = try lines(of: "skatteverket-test-personnummer.csv") + lines(of: "skatteverket-test-samordningsnummer.csv")
        #expect(numbers.count == 23_968)
        var rejected: [String] = []
        for text in numbers {
            do {
                let number = try Personnummer(text, currentYear: 2026)
                if number.twelveDigits != text { rejected.append("\(text) stored as \(number.twelveDigits)") }
            } catch { rejected.append("\(text): \(error)") }
        }
        #expect(rejected.isEmpty, "\(rejected.prefix(5))")
    }

    @Test func samordningsnummerAreRecognisedWithUnknownMonthAndDay() throws {
        let numbers = try lines(of: "skatteverket-test-samordningsnummer.csv")
        let parsed = try numbers.map { try Personnummer($0, currentYear: 2026) }
        #expect(parsed.allSatisfy { $0.isSamordningsnummer })
        // 1915-00-72: unknown month counts as 1 July, day 72 − 60 = 12.
        let unknownMonth = try Personnummer("191500722390", currentYear: 2026)
        #expect(unknownMonth.birthDate == Day(year: 1915, month: 7, day: 12))
        // Day 60: unknown day counts as the 15th.
        let unknownDay = try #require(parsed.first { $0.value / 10_000 % 100 == 60 && $0.value / 1_000_000 % 100 != 0 })
        #expect(unknownDay.birthDate.day == 15)
    }

    @Test func everyAcceptedSpellingGivesTheSameTwelveDigits() throws {
        for text in ["19900101-2385", "199001012385", "900101-2385", "9001012385"] {
            #expect(try Personnummer(text, currentYear: 2026).value == 199_001_012_385)
        }
        // '+' means 100 or older: the century before.
        #expect(try Personnummer("900101+2385", currentYear: 2026).value == 189_001_012_385)
        // Younger than 100 this year: 25 is 2025 in 2026 but 1925 in 2024.
        #expect(try Personnummer("250101-2385", currentYear: 2026).birthDate.year == 2025)
        #expect(try Personnummer("250101-2385", currentYear: 2024).birthDate.year == 1925)
        #expect(try Personnummer("250101+2385", currentYear: 2026).birthDate.year == 1925)
        // 26 in 2026 is this year's baby; 27 in 2026 is 1927.
        #expect(try Personnummer("2601012384", currentYear: 2026).birthDate.year == 2026)
        #expect(try Personnummer("2701012383", currentYear: 2026).birthDate.year == 1927)
    }

    @Test func sexComesFromTheNinthDigit() throws {
        #expect(try Personnummer("199001012385", currentYear: 2026).sex == .female)  // 8
        #expect(try Personnummer("199009132391", currentYear: 2026).sex == .male)  // 9
    }

    @Test func errorsSayWhatIsWrong() {
        func reason(_ text: String) -> String {
            do {
                _ = try Personnummer(text, currentYear: 2026)
                return "accepted"
            } catch { return error.description }
        }
        #expect(reason("199001012386") == "check digit should be 5")
        #expect(reason("19900230-2384") == "no day 30 in February")
        #expect(reason("19000229-2385").hasPrefix("no day 29 in February 1900"))
        #expect(reason("19901301-2385") == "there is no month 13")
        #expect(reason("19900101238") == "expected 10 or 12 digits, found 11")
        #expect(reason("1990O101-2385") == "unexpected character 'O' at position 5")
        #expect(reason("1990010-12385") == "the separator must stand before the last four digits")
        #expect(reason("19900101+2385") == "'+' (aged 100 or more) is only used with ten digits")
        #expect(reason("19900001-2385") == "month 00 is only allowed in a samordningsnummer")
        #expect(reason("19900100-2385") == "day 00 is only allowed in a samordningsnummer")
        #expect(reason("19900192-2385") == "no day 32 in January")
    }

    @Test func organisationsnummerOfTheSeedAreValid() throws {
        for text in ["202100-2114", "222000-2162", "212000-0084", "212000-0233", "212000-0092", "202 100 2114", "2120000084"] {
            #expect(throws: Never.self) { try Organisationsnummer(text) }
        }
        #expect(try Organisationsnummer("212 000-0084").description == "212000-0084")
        #expect(throws: IdentityNumberError.checkDigit(expected: 4, actual: 5)) { try Organisationsnummer("212000-0085") }
        #expect(throws: IdentityNumberError.wrongLength(digits: 9)) { try Organisationsnummer("212000-008") }
        // Found by schemathesis: thirty digits used to overflow and stop the server.
        #expect(throws: IdentityNumberError.wrongLength(digits: 11)) { try Organisationsnummer(String(repeating: "9", count: 30)) }
    }

    @Test func kommunkoderAreSCBs() throws {
        let rows = try lines(of: "kommuner.csv")
        #expect(rows.count == 290)
        for row in rows {
            let fields = row.split(separator: ";")
            let code = try Kommunkod(String(fields[0]))
            #expect(code.description == fields[0])
            #expect(code.name == fields[1])
        }
        #expect(try Kommunkod("0136").name == "Haninge")
        #expect(throws: ReferenceCodeError.unknownKommunkod("0999")) { try Kommunkod("0999") }
        #expect(throws: ReferenceCodeError.kommunkodShape("136")) { try Kommunkod("136") }
    }

    @Test func ssykCodesHaveTheirShapeAndExist() throws {
        for row in try lines(of: "ssyk2012.csv") {
            #expect(throws: Never.self) { try SSYKCode(String(row.prefix(4))) }
        }
        #expect(try SSYKCode("5330").label == "Vårdbiträden")
        #expect(throws: ReferenceCodeError.ssykShape("533")) { try SSYKCode("533") }
        #expect(throws: ReferenceCodeError.unknownSSYK("0000")) { try SSYKCode("0000") }
    }
}
