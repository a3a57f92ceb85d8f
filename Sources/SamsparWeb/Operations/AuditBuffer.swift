import Foundation
import SamsparStore

/// Group commit for the audit entries of reads. A read's entry must be durable before its
/// data leaves the server, but a transaction per read would cap throughput at the
/// database's commit rate; so reads hand their entries here and wait, and whatever arrived
/// while one commit was under way goes into the next one. Writes don't come here: their
/// entries commit in the write's own transaction.
actor AuditBuffer {
    private let store: any SamsparStore
    private let now: @Sendable () -> Date
    private var pending: [(drafts: [AuditDraft], done: CheckedContinuation<Void, any Error>)] = []
    private var flushing = false

    init(store: any SamsparStore, now: @escaping @Sendable () -> Date) {
        self.store = store
        self.now = now
    }

    /// Returns once the entries are committed; throws when they could not be.
    func record(_ drafts: [AuditDraft]) async throws {
        guard !drafts.isEmpty else { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            pending.append((drafts, continuation))
            if !flushing {
                flushing = true
                Task { await flushAll() }
            }
        }
    }

    private func flushAll() async {
        while !pending.isEmpty {
            let batch = pending
            pending = []
            let drafts = batch.flatMap(\.drafts)
            let at = now()
            do {
                try await store.appendAudit(drafts, at: at)
                for item in batch { item.done.resume() }
            } catch {
                for item in batch { item.done.resume(throwing: error) }
            }
        }
        flushing = false
    }
}
