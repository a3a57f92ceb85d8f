import Foundation

/// A submitted form: `application/x-www-form-urlencoded`, or `multipart/form-data` for files.
public struct FormData: Sendable {
    public init() {}

    public var fields: [String: String] = [:]
    /// Each file part, spooled to disk as it arrived (``MultipartReader``): the reader of the
    /// form removes them (``removeFiles()``) once read.
    public var files: [String: (name: String, file: SpooledFile)] = [:]

    public func removeFiles() {
        for (_, part) in files { part.file.remove() }
    }

    public subscript(_ key: String) -> String? {
        guard let value = fields[key]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    public static func urlencoded(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { s.replacing("+", with: " ").removingPercentEncoding ?? "" }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }

    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}
