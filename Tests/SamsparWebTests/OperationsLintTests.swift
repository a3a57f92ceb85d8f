import Foundation
import Testing

/// Issue 16, part 5: every role decision and every audit entry is made in the operations
/// layer (`Sources/SamsparWeb/Operations`), so a rule that changes changes in one place. The
/// API's routes, the pages and the command line only adapt it. This reads the sources as a
/// newcomer would and names each line that breaks the rule.
@Suite struct OperationsLintTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// What may only be written in the operations layer, and why.
    static let rules: [(pattern: String, why: String, allowedIn: [String])] = [
        (#"require\(\\\."#, "a role decision (the old require(\\.…))", []),
        (#"Caller\.granted\("#, "a role decision", ["Sources/SamsparWeb/Operations/"]),
        (
            #"\.role\.(readsParticipants|writesParticipants|seesLiveFigures|managesAgreements|readsAuditLog|managesAccounts)\b"#,
            "a role decision (ask the concern's operations: allows(_:_:))", ["Sources/SamsparWeb/Operations/", "Sources/SamsparDomain/"]
        ),
        (#"Mutant\.decide\("route:"#, "a route's role decision", ["Sources/SamsparWeb/Operations/"]),
        (#"\bAuditDraft\("#, "an audit entry", ["Sources/SamsparWeb/Operations/", "Sources/SamsparStore/"]),
        (#"\.entry\("#, "an audit entry", ["Sources/SamsparWeb/Operations/"]),
        (#"auditBuffer\.record\("#, "an audit entry", ["Sources/SamsparWeb/Operations/"]),
        (#"appendAudit\("#, "an audit entry", ["Sources/SamsparWeb/Operations/", "Sources/SamsparStore/"]),
        (#"\.refusal\s*=(?!=)"#, "a refusal for the audit log", ["Sources/SamsparWeb/Operations/"]),
        // Migration 9's own entry is written while the store opens, under whichever command
        // opened it: its channel is the migration's.
        (#"channel:\s*""#, "a channel typed by hand (it comes from the route or the command)", ["Sources/SamsparStore/AuditRechain.swift"]),
        (#"parameters\.get\("#, "a route parameter read by hand (use context.parameter(_:))", ["Sources/SamsparWeb/RouteParameters.swift"]),
        (#"\bSQLSession\b"#, "a raw database session outside the store", ["Sources/SamsparStore/"]),
        (
            #"\.store\."#, "the store asked outside the operations layer",
            [
                "Sources/SamsparWeb/Operations/", "Sources/SamsparWeb/Services.swift", "Sources/SamsparWeb/Idempotency.swift",
                "Sources/SamsparWeb/WebApp.swift",
                "Sources/SamsparStore/", "Sources/samspar/",
            ]
        ),
    ]

    /// Every line of `text` that breaks a rule for a file at `path`.
    static func findings(path: String, text: String) -> [String] {
        var found: [String] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for rule in rules where !rule.allowedIn.contains(where: { path.hasPrefix($0) }) {
            let regex = try! Regex(rule.pattern)
            for (number, line) in lines.enumerated() {
                let code = line.trimmingCharacters(in: .whitespaces)
                guard !code.hasPrefix("//"), line.contains(regex) else { continue }
                found.append("\(path):\(number + 1): \(rule.why): \(code)")
            }
        }
        return found
    }

    @Test func noRoleDecisionOrAuditEntryOutsideTheOperationsLayer() throws {
        var findings: [String] = []
        var files = 0
        let sources = Self.root.appendingPathComponent("Sources")
        let walker = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
        for case let url as URL in walker where url.pathExtension == "swift" {
            let path = String(url.path.dropFirst(Self.root.path.count + 1))
            files += 1
            findings += Self.findings(path: path, text: try String(contentsOf: url, encoding: .utf8))
        }
        #expect(files > 80, "the sources were not found under \(sources.path)")
        #expect(findings == [], "\(findings.joined(separator: "\n"))")
    }

    /// The lint sees what it forbids: each kind of line, written where it must not be.
    @Test func theLintFindsEachKindOfBreach() {
        let page = """
            let principal = try r.require(\\.readsParticipants, "read participants")
            if principal.role.managesAccounts { links.append(.accounts) }
            try await s.auditBuffer.record([draft])
            _ = AuditDraft(actor: "x", role: "y", organisation: nil, action: "read", person: nil, channel: "GET /deltagare")
            let id = r.context.parameters.get("id") ?? ""
            error.refusal = .init(person: nil, reason: "no", channel: channel)
            func save(in session: any SQLSession) {}
            let views = try await r.services.store.caseload(visibleTo: own, on: r.today)
            // try await s.auditBuffer.record([draft]) in a comment is not code
            """
        let found = Self.findings(path: "Sources/SamsparWeb/Pages/Some.swift", text: page)
        #expect(found.count == 9, "\(found.joined(separator: "\n"))")
        #expect(found.contains { $0.hasPrefix("Sources/SamsparWeb/Pages/Some.swift:4: a channel typed by hand") })
        #expect(!found.contains { $0.contains(":9:") })
        // The same lines are the operations layer's own business.
        let layer = Self.findings(path: "Sources/SamsparWeb/Operations/Some.swift", text: page)
        #expect(layer.count == 4, "\(layer.joined(separator: "\n"))")
    }
}
