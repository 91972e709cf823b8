#ifndef JOURNEYS_FUZZ_DRIVER_H
#define JOURNEYS_FUZZ_DRIVER_H
#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer's driver (LLVMFuzzerRunDriver) when the program was linked with
/// -sanitize=fuzzer; returns -1 when it was not.
int journeys_run_fuzzer(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
