// Driver stage: child processes (swiftc, compiled programs) that never outlive the command.
//
// Foundation's Process starts a child in a process group of its own, so neither a
// Ctrl-C at the terminal nor a SIGTERM sent to `adjoint` reaches it: killed alone,
// `adjoint run` used to leave its compiled program running, reparented to init.
// While a child runs, SIGINT and SIGTERM are caught and forwarded to it; once it has
// exited, the command removes its half-written files and dies of the same signal, so
// its parent sees what it sent. A signal that arrives while no child runs kills the
// command at once, as the default action would.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

enum ChildProcesses {
    /// Room for this many children at once; the driver runs one at a time.
    private static let capacity = 16

    /// The running children's pids (0 for a free slot) and the signal received (0 for none). Plain memory,
    /// not Swift objects, because the signal handler reads and writes it and may do nothing that allocates.
    nonisolated(unsafe) private static let pids: UnsafeMutablePointer<Int32> = {
        let slots = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        slots.initialize(repeating: 0, count: capacity)
        return slots
    }()
    nonisolated(unsafe) private static let received: UnsafeMutablePointer<Int32> = {
        let flag = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        flag.initialize(to: 0)
        return flag
    }()
    private static let lock = NSLock()
    nonisolated(unsafe) private static var installed = false

    /// Starts `process`, waits for it to exit and returns its status. When the command was interrupted
    /// meanwhile, runs `cleanup` and ends the command with the signal.
    static func run(_ process: Process, cleanup: () -> Void = {}) throws -> Int32 {
        installHandlers()
        try process.run()
        let slot = register(process.processIdentifier)
        // A signal that came before the child was registered was not forwarded to it.
        if received.pointee != 0 { kill(process.processIdentifier, received.pointee) }
        process.waitUntilExit()
        release(slot)
        let number = received.pointee
        if number != 0 {
            cleanup()
            signal(number, SIG_DFL)
            raise(number)
        }
        return process.terminationStatus
    }

    private static func register(_ pid: Int32) -> Int {
        lock.lock()
        defer { lock.unlock() }
        for k in 0..<capacity where pids[k] == 0 {
            pids[k] = pid
            return k
        }
        return -1
    }

    private static func release(_ slot: Int) {
        guard slot >= 0 else { return }
        lock.lock()
        pids[slot] = 0
        lock.unlock()
    }

    private static func installHandlers() {
        lock.lock()
        defer { lock.unlock() }
        guard !installed else { return }
        installed = true
        // A parent may have started `adjoint` with these signals blocked (a test runner's threads block them),
        // and a child inherits the mask: unblock them here, for this thread and the children it starts.
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        sigaddset(&unblocked, SIGINT)
        sigaddset(&unblocked, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
        for number in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in ChildProcesses.forward(number) }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(number, &action, nil)
        }
    }

    /// The signal handler: async-signal-safe calls only (kill, signal, raise).
    private static func forward(_ number: Int32) {
        received.pointee = number
        var forwarded = false
        for k in 0..<capacity where pids[k] > 0 {
            kill(pids[k], number)
            forwarded = true
        }
        if !forwarded {
            signal(number, SIG_DFL)
            raise(number)
        }
    }
}
