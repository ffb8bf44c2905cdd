// SPDX-License-Identifier: MIT
#pragma once

namespace voxtrack {

/// Raises this process's limit of open files (RLIMIT_NOFILE) from its soft value to the hard
/// one, as far as the system allows: every connection is a file, and a shell's usual soft limit
/// of 1024 would stop a load test or a server at about a thousand sessions. Returns the limit
/// now in force, or -1 where the system does not tell.
long raiseOpenFileLimit();

/// What this process has used so far: CPU time (user + system) and its peak resident memory;
/// -1 where the system does not tell.
struct ProcessUsage {
    double cpuSeconds = -1;
    double peakRssMb = -1;
};
[[nodiscard]] ProcessUsage processUsage();

} // namespace voxtrack
