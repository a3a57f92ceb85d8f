import Foundation

/// A municipality's four-digit code from SCB's list (Haninge 0136, Tyresö 0138, …).
/// Only codes in the bundled list (`Resources/kommuner.csv`, 290 codes, 2026) can be built.
public struct Kommunkod: Hashable, Comparable, Sendable, TextCoded {
    /// The code as a number (0136 → 136); `description` gives the four digits back.
    public let value: Int16

    public init(_ text: some StringProtocol) throws(ReferenceCodeError) {
        let s = String(text)
        guard s.utf8.count == 4, s.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let n = Int16(s) else {
            throw .kommunkodShape(s)
        }
        guard ReferenceData.kommuner[n] != nil else { throw .unknownKommunkod(s) }
        value = n
    }

    /// Rebuilds a code read back from storage, where only valid codes are kept.
    public init(storedValue: Int16) {
        value = storedValue
    }

    public var name: String { self == .withheld ? "Skyddad" : ReferenceData.kommuner[value]?.name ?? description }
    public var county: String { ReferenceData.kommuner[value]?.county ?? "" }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
    public var description: String { String(value).leftPadded(to: 4) }

    /// Not a municipality: what another party sees in place of a protected person's home
    /// municipality (SPEC §2, *Protected identity*). SCB has no code 0000, so it is never a
    /// party to an agreement and never in a population.
    public static let withheld = Kommunkod(storedValue: 0)

    /// Every municipality in SCB's list, in code order.
    public static var all: [Kommunkod] { ReferenceData.kommuner.keys.sorted().map(Kommunkod.init(storedValue:)) }

}

/// An occupation group of SSYK 2012 at the four-digit level (5330 Vårdbiträden).
public struct SSYKCode: Hashable, Sendable, TextCoded {
    public let code: String

    /// Four digits, and a group that exists in SCB's SSYK 2012 list.
    public init(_ text: some StringProtocol) throws(ReferenceCodeError) {
        let s = String(text)
        guard s.utf8.count == 4, s.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { throw .ssykShape(s) }
        guard ReferenceData.ssyk[s] != nil else { throw .unknownSSYK(s) }
        code = s
    }

    public var label: String { ReferenceData.ssyk[code] ?? "" }

    /// The unit groups whose code or name contains `text` (case and diacritics ignored), in
    /// code order: the occupation lookup of the agreement editor.
    public static func search(_ text: String) -> [SSYKCode] {
        let needle = text.trimmingCharacters(in: .whitespaces).folding(options: [.caseInsensitive, .diacriticInsensitive], locale: Locale(identifier: "sv_SE"))
        guard !needle.isEmpty else { return [] }
        return ReferenceData.ssyk.filter { code, name in
            code.hasPrefix(needle) || name.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: Locale(identifier: "sv_SE")).contains(needle)
        }.keys.sorted().compactMap { try? SSYKCode($0) }
    }
    public var description: String { code }

}

public enum ReferenceCodeError: Error, Equatable, Sendable, CustomStringConvertible {
    case kommunkodShape(String)
    case unknownKommunkod(String)
    case ssykShape(String)
    case unknownSSYK(String)

    public var description: String {
        switch self {
        case .kommunkodShape(let s): return "'\(s)' is not a kommunkod (four digits, e.g. 0136)"
        case .unknownKommunkod(let s): return "\(s) is not a kommunkod in SCB's list"
        case .ssykShape(let s): return "'\(s)' is not an SSYK 2012 code (four digits, e.g. 5330)"
        case .unknownSSYK(let s): return "\(s) is not an occupation group in SSYK 2012"
        }
    }
}

/// SCB's reference lists, bundled with the package and read once.
enum ReferenceData {
    struct Municipality: Sendable {
        let name: String
        let county: String
    }

    static let kommuner: [Int16: Municipality] = {
        var result: [Int16: Municipality] = [:]
        for fields in rows(of: "kommuner") where fields.count >= 4 {
            if let code = Int16(fields[0]) { result[code] = Municipality(name: fields[1], county: fields[3]) }
        }
        return result
    }()

    static let ssyk: [String: String] = {
        var result: [String: String] = [:]
        for fields in rows(of: "ssyk2012") where fields.count >= 2 { result[fields[0]] = fields[1] }
        return result
    }()

    /// The data rows of a bundled `;`-separated file (header skipped).
    private static func rows(of name: String) -> [[String]] {
        guard let url = Bundle.module.url(forResource: name, withExtension: "csv", subdirectory: "Resources"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { fatalError("the bundled reference list \(name).csv is missing") }
        return text.split(whereSeparator: \.isNewline).dropFirst().map {
            $0.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        }
    }
}

/// A value that travels in JSON as its text form (`212000-0084`, `0136`, `5330`), parsed
/// and validated on the way in.
public protocol TextCoded: Codable, CustomStringConvertible {
    init(_ text: String) throws
}

extension TextCoded {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
