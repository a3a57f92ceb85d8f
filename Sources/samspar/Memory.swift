#if canImport(Glibc)
    import Glibc
#endif

/// How this process gives memory back (issue 27: a bulk import's peak).
///
/// glibc serves an allocation of at least its *mmap threshold* with pages of its own, which go
/// back to the system when the block is freed. The threshold starts at 128 KiB but rises to the
/// size of every such block freed, up to 32 MiB; after that, large blocks come from the heap
/// and stay in the process when freed. A national import frees a 34 MB set of the
/// registrations it touched, and from then on its 32 MB of audit digests and SQLite's sorter
/// each kept their memory when done, so their peaks added up: 149–156 MiB for the
/// participants' file, against 118 MiB with the threshold held at 1 MiB (BENCHMARKS.md).
///
/// So `samspar import` holds the threshold at 1 MiB, unless the operator has set glibc's own
/// `MALLOC_MMAP_THRESHOLD_`; its time did not move. `serve` and the other commands keep glibc's
/// default: a block of 1 MiB or more then costs system calls and fresh pages each time, and
/// the closes of a national first start, which take and free many such blocks, took 93 and
/// 99 s with it against 84 and 81 s without (peak 305–331 MB against 373–382 MB).
enum Memory {
    static let largeBlock: Int32 = 1 << 20

    static func returnLargeBlocksWhenFreed(environment: [String: String]) {
        #if canImport(Glibc)
            guard environment["MALLOC_MMAP_THRESHOLD_"] == nil else { return }
            // `mallopt` is in <malloc.h>, which Swift's Glibc module leaves out.
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            guard let symbol = dlsym(nil, "mallopt") else { return }
            let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
            _ = unsafeBitCast(symbol, to: Mallopt.self)(mmapThreshold, largeBlock)
        #endif
    }
}
