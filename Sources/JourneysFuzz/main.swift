// libFuzzer driver for `make fuzz`: built with `-sanitize=fuzzer,address` it runs libFuzzer
// on the target named by JOURNEYS_FUZZ_TARGET (one of FuzzTargets.names). A normal build only
// says how to build it.
#if canImport(Glibc)
import Glibc
#endif
import CFuzzDriver
import JourneysFuzzTargets

func say(_ m: String) { _ = m.withCString { write(2, $0, strlen($0)) } }

guard let target = getenv("JOURNEYS_FUZZ_TARGET").map({ String(cString: $0) }), FuzzTargets.names.contains(target) else {
    say("journeys-fuzz: set JOURNEYS_FUZZ_TARGET to one of \(FuzzTargets.names.joined(separator: ", "))\n")
    exit(64)
}
FuzzTargets.selected = target
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
let rc = journeys_run_fuzzer(&argc, &argv) { data, size in
    if let data { FuzzTargets.run(FuzzTargets.selected, UnsafeBufferPointer(start: data, count: size)) }
    return 0
}
if rc == -1 { say("journeys-fuzz: not built with -sanitize=fuzzer; use make fuzz\n"); exit(70) }
exit(rc)

/// libFuzzer's own `main` (linked in, unused: the program's main above runs the driver) refers to this.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    if let data { FuzzTargets.run(FuzzTargets.selected, UnsafeBufferPointer(start: data, count: size)) }
    return 0
}
